import { fmtNum } from '../ui.js';
import type { TransferPoint } from './transfer-data.js';

const W = 560;
const H = 260;
const M = { l: 64, r: 16, t: 16, b: 40 };

/** The y range: the data, at least 0.1 wide, inside [0, 1]. */
function yRange(ys: number[]): [number, number] {
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 0.1) {
    hi = Math.min(1, (hi + lo) / 2 + 0.05);
    lo = Math.max(0, hi - 0.1);
    hi = lo + 0.1;
  }
  return [lo, hi];
}

const LINES = [
  { key: 'site', name: 'held-out Dice on this site', cls: 'line' },
  { key: 'original', name: 'Dice on the model’s reference data (original skill)', cls: 'line line-original' },
] as const;

/**
 * The continual-learning curve of one model (no chart library, like plot.tsx): x = corrected series
 * learned from, one point per run that reached the gate, in run order; two lines, the site's
 * held-out Dice and the original skill, each point filled when the gate accepted the run and hollow
 * red when it rejected it.
 */
export function TransferPlot({ points, title }: { points: TransferPoint[]; title: string }) {
  const ys = points.flatMap((p) => [p.site, p.original]).filter((y): y is number => y !== null);
  if (ys.length === 0) return <p class="muted" data-testid="transfer-curve-empty">No run has reached the gate with held-out or reference scores yet.</p>;
  const [lo, hi] = yRange(ys);
  const x1 = Math.max(1, ...points.map((p) => p.x));
  const sx = (x: number) => M.l + (x / x1) * (W - M.l - M.r);
  const sy = (y: number) => M.t + (1 - (y - lo) / (hi - lo)) * (H - M.t - M.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const xTicks = [...new Set([0, ...points.map((p) => p.x)])];
  return (
    <svg class="plot" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} data-testid="transfer-curve">
      <title>{title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={M.l} x2={W - M.r} y1={sy(t)} y2={sy(t)} class="grid" />
          <text x={M.l - 6} y={sy(t) + 4} text-anchor="end" class="tick">
            {t.toFixed(3)}
          </text>
        </g>
      ))}
      {xTicks.map((x) => (
        <text key={`x${x}`} x={sx(x)} y={H - M.b + 16} text-anchor="middle" class="tick">
          {x}
        </text>
      ))}
      <text x={(W + M.l) / 2} y={H - 6} text-anchor="middle" class="axis">
        corrected series learned from
      </text>
      <text x={12} y={(H - M.b) / 2} text-anchor="middle" class="axis" transform={`rotate(-90 12 ${(H - M.b) / 2})`}>
        mean Dice
      </text>
      {LINES.map((l) => {
        const on = points.filter((p) => p[l.key] !== null);
        return (
          <g key={l.key} data-line={l.key}>
            <title>{l.name}</title>
            <polyline class={l.cls} points={on.map((p) => `${sx(p.x)},${sy(p[l.key]!)}`).join(' ')} />
            {on.map((p) => (
              <circle
                key={p.run.id}
                cx={sx(p.x)}
                cy={sy(p[l.key]!)}
                r={4}
                class={p.accepted ? (l.key === 'site' ? 'pt' : 'pt-original') : 'pt-rejected'}
                data-run={p.run.id}
                data-status={p.accepted ? 'accepted' : 'rejected'}
              >
                <title>{`run ${p.n} (${p.accepted ? 'accepted' : 'rejected'} by the gate), ${p.x} series learned: ${l.name} ${fmtNum(p[l.key], 4)}`}</title>
              </circle>
            ))}
          </g>
        );
      })}
    </svg>
  );
}
