import { call } from '../api.js';
import type { Me } from '../main.js';
import { Badge, ErrorBox, Head, Section, fmtBytes, fmtTime, useLoad } from '../ui.js';

interface Status {
  storage: { freeBytes: number; totalBytes: number; usedBytes: number; archiveBytes: number; watermarkFreeBytes: number; minFreeBytes: number; minFreePercent: number; full: boolean };
  queue: Record<string, Record<string, number>>;
  throughput: { window: string; instancesReceived: number; bytesReceived: number; jobsCompleted: Record<string, number>; jobsFailed: Record<string, number>; deliveriesDelivered: number }[];
  at: string;
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

export function HealthView(_: { me: Me }) {
  const st = useLoad(() => call<Status>('status'), [], 5000);
  const s = st.data;
  const pct = (n: number) => (s && s.storage.totalBytes ? (100 * n) / s.storage.totalBytes : 0);
  return (
    <Section title="Health">
      <ErrorBox error={st.error} />
      {s ? (
        <>
          <h3>
            Storage {s.storage.full ? <Badge kind="bad">above the watermark: STOW-RS refused</Badge> : <Badge kind="ok">accepting</Badge>}
          </h3>
          <svg class="bar" viewBox="0 0 400 24" preserveAspectRatio="none" role="img" aria-label="disk use" data-testid="storage-bar">
            <rect x="0" y="2" width="400" height="20" class="bar-bg" />
            <rect x="0" y="2" width={(400 * pct(s.storage.usedBytes)) / 100} height="20" class={s.storage.full ? 'bar-bad' : 'bar-used'} />
            <line x1={400 - (400 * pct(s.storage.watermarkFreeBytes)) / 100} x2={400 - (400 * pct(s.storage.watermarkFreeBytes)) / 100} y1="0" y2="24" class="bar-mark" />
          </svg>
          <p>
            {fmtBytes(s.storage.usedBytes)} used of {fmtBytes(s.storage.totalBytes)} ({pct(s.storage.usedBytes).toFixed(1)} %), {fmtBytes(s.storage.freeBytes)} free; the watermark keeps {fmtBytes(s.storage.watermarkFreeBytes)} free (min {fmtBytes(s.storage.minFreeBytes)} or {s.storage.minFreePercent} %). DICOM archive: {fmtBytes(s.storage.archiveBytes)}.
          </p>
          <h3>Queue depth</h3>
          <table data-testid="queue">
            <Head columns={['Type', 'Waiting', 'Retrying', 'Running', 'Dead-letter']} />
            <tbody>
              {Object.entries(s.queue).map(([t, c]) => (
                <tr key={t}>
                  <td>{t}</td>
                  <td>{c.created ?? 0}</td>
                  <td>{c.retry ?? 0}</td>
                  <td>{c.active ?? 0}</td>
                  <td>{c['dead-letter'] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Throughput</h3>
          <table data-testid="throughput">
            <Head columns={['Window', 'Instances received', 'Jobs completed', 'Jobs failed', 'SEGs delivered']} />
            <tbody>
              {s.throughput.map((w) => (
                <tr key={w.window}>
                  <td>last {w.window}</td>
                  <td>
                    {w.instancesReceived} ({fmtBytes(w.bytesReceived)})
                  </td>
                  <td title={JSON.stringify(w.jobsCompleted)}>{sum(w.jobsCompleted)}</td>
                  <td title={JSON.stringify(w.jobsFailed)}>{sum(w.jobsFailed)}</td>
                  <td>{w.deliveriesDelivered}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            As of {fmtTime(s.at)}. Prometheus metrics: <a href="/metrics">/metrics</a> (scrape it with a bearer token when tokens are configured); readiness: <a href="/readyz">/readyz</a>.
          </p>
        </>
      ) : null}
    </Section>
  );
}
