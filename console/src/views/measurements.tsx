import { call } from '../api.js';
import { fmtStudyDate, longitudinalLines, type HistoryReport, type Quantity } from '../../../src/console/longitudinal.js';
import { ErrorBox, Head, fmtNum, useLoad } from '../ui.js';

interface Segment {
  label: string;
  voxels: number;
  volumeMl: number;
  mean: number | null;
  sd: number | null;
  fatFractionPercent?: number | null;
}
interface Report extends HistoryReport {
  modelId: string;
  generation: number;
  dixonNote: string | null;
  segments: Segment[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Volume (or fat fraction) per muscle across the patient's studies: one polyline per label. */
function TrendPlot({ history, quantity }: { history: Report[]; quantity: Quantity }) {
  const { studies, lines } = longitudinalLines(history, quantity);
  const ys = lines.flatMap((l) => l.points.map((p) => p.y));
  if (studies.length < 2 || ys.length === 0) return null;
  const W = 560, H = 220, m = { l: 56, r: 120, t: 12, b: 32 };
  const lo = Math.min(0, ...ys), hi = Math.max(...ys) * 1.05 || 1;
  const sx = (x: number) => m.l + (x / (studies.length - 1)) * (W - m.l - m.r);
  const sy = (y: number) => m.t + (1 - (y - lo) / (hi - lo)) * (H - m.t - m.b);
  const unit = quantity === 'volumeMl' ? 'volume (mL)' : 'fat fraction (%)';
  return (
    <svg class="plot" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${unit} per study`} data-testid={`trend-${quantity}`}>
      <title>{`${unit} per study`}</title>
      {[0, 0.5, 1].map((f) => {
        const t = lo + f * (hi - lo);
        return (
          <g key={f}>
            <line x1={m.l} x2={W - m.r} y1={sy(t)} y2={sy(t)} class="grid" />
            <text x={m.l - 6} y={sy(t) + 4} text-anchor="end" class="tick">{t.toFixed(1)}</text>
          </g>
        );
      })}
      {studies.map((s, x) => (
        <text key={s.resultId} x={sx(x)} y={H - m.b + 16} text-anchor="middle" class="tick">{fmtStudyDate(s.studyDate)}</text>
      ))}
      {lines.map((l, i) => (
        <g key={l.label} data-label={l.label}>
          <polyline fill="none" stroke={COLORS[i % COLORS.length]} stroke-width="2" points={l.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')} />
          {l.points.map((p) => (
            <circle key={p.resultId} cx={sx(p.x)} cy={sy(p.y)} r={4} fill={p.corrected ? '#fff' : COLORS[i % COLORS.length]} stroke={COLORS[i % COLORS.length]} data-value={p.y}>
              <title>{`${l.label}: ${p.y.toFixed(2)}${p.corrected ? ' (corrected)' : ''}`}</title>
            </circle>
          ))}
          <text x={W - m.r + 8} y={m.t + 14 * i + 10} class="tick" fill={COLORS[i % COLORS.length]}>{l.label}</text>
        </g>
      ))}
    </svg>
  );
}

/** The per-muscle numbers of one result (its corrected report when there is one) and the trend. */
export function Measurements({ resultId }: { resultId: string }) {
  const m = useLoad(() => call<{ current: Report; history: Report[] }>('measurements', { params: { id: resultId } }), [resultId]);
  if (m.error) return <ErrorBox error={m.error} />;
  if (!m.data) return <p class="muted">loading…</p>;
  const { current, history } = m.data;
  const ff = current.segments.some((s) => s.fatFractionPercent !== undefined);
  return (
    <div data-testid="measurements" data-result={resultId}>
      <p class="muted">
        {current.source === 'corrected' ? 'corrected by a reader' : `${current.modelId} gen ${current.generation}`} · {current.dixonNote ?? ''}
      </p>
      <table data-testid="measurement-table">
        <Head columns={['Structure', 'Volume (mL)', 'Mean signal', 'SD', ...(ff ? ['Fat fraction (%)'] : [])]} />
        <tbody>
          {current.segments.map((s) => (
            <tr key={s.label} data-label={s.label}>
              <td>{s.label}</td>
              <td class="mono" data-testid="volume">{fmtNum(s.volumeMl, 2)}</td>
              <td class="mono">{fmtNum(s.mean, 1)}</td>
              <td class="mono">{fmtNum(s.sd, 1)}</td>
              {ff ? <td class="mono">{fmtNum(s.fatFractionPercent, 1)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
      {history.length > 1 ? (
        <>
          <h4>Earlier studies of this patient ({history.length} results)</h4>
          <TrendPlot history={history} quantity="volumeMl" />
          {ff ? <TrendPlot history={history} quantity="fatFractionPercent" /> : null}
        </>
      ) : null}
    </div>
  );
}
