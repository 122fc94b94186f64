import { call } from '../api.js';
import { Badge, ErrorBox, Head, Section, fmtTime, useLoad } from '../ui.js';
import type { StudyWait } from './rule-model.js';

const KIND: Record<StudyWait['state'], string> = { waiting: 'info', fired: 'ok', 'timed-out': 'warn', cancelled: 'off', 'model-not-installed': 'bad' };

/**
 * Study rules' waits (GET /api/v1/study-waits), newest first: which required series each study
 * has and lacks, until when it waits, and how it ended ("timed out after 1800 s: study lacks
 * series dixon", or the job it made). Refreshes every 5 s like the other live views.
 */
export function StudyWaits() {
  const list = useLoad(() => call<StudyWait[]>('studyWaits', { query: { limit: 50 } }), [], 5000);
  if (list.data?.length === 0 && !list.error) return null;
  return (
    <Section title="Study rules · waits">
      <ErrorBox error={list.error} />
      <table data-testid="study-waits">
        <Head columns={['Rule', 'Study', 'State', 'Required series', 'Deadline', 'Outcome']} />
        <tbody>
          {list.data?.map((w) => (
            <tr key={w.id} data-wait={w.id} data-state={w.state}>
              <td>
                <strong>{w.ruleId}</strong>
              </td>
              <td class="mono">{w.studyInstanceUid}</td>
              <td>
                <Badge kind={KIND[w.state] ?? 'off'}>{w.state}</Badge>
              </td>
              <td>
                {w.required.map((r) => (
                  <div key={r.name}>
                    {r.seriesInstanceUid ? '✓' : '✗'} {r.name}
                  </div>
                ))}
              </td>
              <td>{fmtTime(w.deadline)}</td>
              <td data-testid="study-wait-reason">
                {w.reason ?? '—'}
                {w.jobId ? <div class="muted mono">job {w.jobId}</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
