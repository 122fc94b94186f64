import { useState } from 'preact/hooks';
import { call } from '../api.js';
import type { Me } from '../main.js';
import { Badge, ErrorBox, Filter, Head, Section, fmtTime, useAction, useLoad } from '../ui.js';

interface Job {
  id: string;
  type: string;
  state: string;
  priority: number;
  retryCount: number;
  retryLimit: number;
  data: unknown;
  reason: string | null;
  progress: number | null;
  progressMessage: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

const STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'dead-letter'];
const kindOf = (s: string) => (s === 'completed' ? 'ok' : s === 'dead-letter' ? 'bad' : s === 'retry' ? 'warn' : s === 'cancelled' ? 'off' : 'info');

/** What a job is about, from its data: no patient data, only ids the node made. */
function about(j: Job): string {
  const d = (j.data ?? {}) as Record<string, unknown>;
  if (typeof d.destination === 'string') return `→ ${d.destination}`;
  // A study rule's job says why it fired (all required series present, or its timeout with onTimeout run).
  const study = typeof (d.study as { reason?: unknown } | undefined)?.reason === 'string' ? ` · study: ${(d.study as { reason: string }).reason}` : '';
  if (typeof d.ruleId === 'string') return `rule ${d.ruleId}${typeof d.model === 'string' ? `, model ${d.model}` : ''}${study}`;
  if (typeof d.modelId === 'string') return `model ${d.modelId}`;
  return '';
}

interface Delivery {
  id: string;
  aiResultId: string | null;
  destination: string;
  status: string;
  attempts: number;
  reason: string | null;
  jobId: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const DELIVERY_STATES = ['awaiting-review', 'pending', 'retrying', 'delivered', 'dead-letter', 'cancelled', 'retracted'];

export function JobsView(props: { me: Me }) {
  return (
    <>
      <Jobs {...props} />
      <Deliveries />
    </>
  );
}

/** Retry of a dead-letter delivery: retries its job (the delivery has no retry of its own, docs/routing.md). */
export function RetryDelivery({ delivery, act, then }: { delivery: { status: string; jobId?: string | null }; act: ReturnType<typeof useAction>; then: () => void }) {
  const jobId = delivery.jobId;
  if (delivery.status !== 'dead-letter' || !jobId) return null;
  return (
    <button data-action="retry-delivery" disabled={act.busy} onClick={() => act.run(() => call('jobRetry', { params: { id: jobId } })).then(then)}>
      Retry
    </button>
  );
}

function Deliveries() {
  const [status, setStatus] = useState('');
  const list = useLoad(() => call<Delivery[]>('deliveries', { query: { status: status || undefined, limit: 50 } }), [status], 3000);
  const act = useAction();
  return (
    <Section title="Deliveries">
      <div class="filters">
        <Filter label="Status" name="delivery-status" value={status} options={DELIVERY_STATES} onChange={setStatus} />
      </div>
      <ErrorBox error={list.error ?? act.error} />
      <table data-testid="deliveries">
        <Head columns={['Delivery', 'Destination', 'Status', 'Attempts', 'Reason', 'Created', 'Delivered', '']} />
        <tbody>
          {list.data?.map((d) => (
            <tr key={d.id} data-delivery={d.id} data-state={d.status}>
              <td>
                {d.id} <span class="muted">result {d.aiResultId ?? '—'}</span>
              </td>
              <td>{d.destination}</td>
              <td>
                <Badge kind={d.status === 'delivered' ? 'ok' : d.status === 'dead-letter' ? 'bad' : d.status === 'retrying' ? 'warn' : 'info'}>{d.status}</Badge>
              </td>
              <td>{d.attempts}</td>
              <td class="reason">{d.reason ?? ''}</td>
              <td>{fmtTime(d.createdAt)}</td>
              <td>{fmtTime(d.deliveredAt)}</td>
              <td>
                <RetryDelivery delivery={d} act={act} then={list.reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.length === 0 ? <p class="muted">No deliveries match.</p> : null}
    </Section>
  );
}

function Jobs(_: { me: Me }) {
  const [state, setState] = useState('');
  const [type, setType] = useState('');
  const summary = useLoad(() => call<Record<string, Record<string, number>>>('jobSummary'), [], 3000);
  const jobs = useLoad(() => call<Job[]>('jobs', { query: { state: state || undefined, type: type || undefined, limit: 100 } }), [state, type], 3000);
  const act = useAction();
  const types = Object.keys(summary.data ?? {}).sort();
  return (
    <Section title="Jobs & deliveries (live)">
      <div class="summary" data-testid="job-summary">
        {types.length === 0 ? <span class="muted">The queue is empty.</span> : null}
        {types.map((t) => (
          <span key={t} class="stat">
            <strong>{t}</strong>{' '}
            {Object.entries(summary.data![t]!).map(([s, n]) => (
              <Badge key={s} kind={kindOf(s)}>
                {s} {n}
              </Badge>
            ))}
          </span>
        ))}
      </div>
      <div class="filters">
        <Filter label="State" name="state" value={state} options={STATES} onChange={setState} />
        <Filter label="Type" name="type" value={type} options={[...new Set([...types, 'inference', 'delivery'])]} onChange={setType} />
      </div>
      <ErrorBox error={jobs.error ?? act.error} />
      <table data-testid="jobs">
        <Head columns={['Job', 'Type', 'Priority', 'State', 'Attempts', 'Progress', 'Reason', 'Created', '']} />
        <tbody>
          {jobs.data?.map((j) => (
            <tr key={j.id} data-job={j.id} data-type={j.type} data-state={j.state}>
              <td class="mono" title={j.id}>
                {j.id.slice(0, 8)}
              </td>
              <td>
                {j.type} <span class="muted">{about(j)}</span>
              </td>
              <td data-testid="job-priority">{j.priority}</td>
              <td>
                <Badge kind={kindOf(j.state)}>{j.state}</Badge>
              </td>
              <td>
                {j.retryCount} / {j.retryLimit}
              </td>
              <td>{j.progress === null ? '—' : `${Math.round(j.progress * 100)} %${j.progressMessage ? ` ${j.progressMessage}` : ''}`}</td>
              {/* A completed job's reason is its outcome (a skipped series), not an error. */}
              <td class={j.state === 'completed' ? 'muted' : 'reason'}>{j.reason ?? ''}</td>
              <td>{fmtTime(j.createdAt)}</td>
              <td class="row-actions">
                {j.state === 'dead-letter' ? (
                  <button data-action="retry" disabled={act.busy} onClick={() => act.run(() => call('jobRetry', { params: { id: j.id } })).then(jobs.reload)}>
                    Retry
                  </button>
                ) : null}
                {['created', 'retry', 'active'].includes(j.state) ? (
                  <button class="danger" data-action="cancel" disabled={act.busy} onClick={() => act.run(() => call('jobCancel', { params: { id: j.id } })).then(jobs.reload)}>
                    Cancel
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {jobs.data?.length === 0 ? <p class="muted">No jobs match.</p> : null}
    </Section>
  );
}
