import { call } from '../api.js';
import type { Me } from '../main.js';
import { useState } from 'preact/hooks';
import { Badge, ErrorBox, Head, Section, fmtTime, useLoad } from '../ui.js';
import { Measurements } from './measurements.js';

interface SeriesRow {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  modality: string | null;
  seriesDescription: string | null;
  instances: number;
  lastInstanceAt: string;
  stableAt: string | null;
  routing: { outcome: string; matchedRules: string[]; rulesetVersion: number | null; reasons: string[]; at: string } | null;
  results: { id: string; modelId: string; generation: number; ruleId: string | null; status: string; outcome: string; reason: string | null; createdAt: string; deliveries: Record<string, number> }[];
}

const OUTCOMES: Record<string, string> = {
  matched: 'matched',
  'no-match': 'no rule matched',
  'own-result': "the node's own result (not routed)",
  'not-image': 'not an image series (not routed)',
  unchanged: 'unchanged since the last evaluation',
  'model-not-installed': "matched, but the rule's model is not installed",
  'study-wait': 'waiting for its study (a study rule; see Routing rules · waits)',
};

/** The review mode of the viewer (docs/review.md), opened on the series' study. */
const viewerLink = (study: string) => `/viewer/dafne-review?StudyInstanceUIDs=${encodeURIComponent(study)}`;

export function SeriesView(_: { me: Me }) {
  const list = useLoad(() => call<SeriesRow[]>('series', { query: { limit: 100 } }), [], 5000);
  // The result whose per-muscle numbers are open (one at a time; they do not refresh with the list).
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Section title="Series & results">
      <ErrorBox error={list.error} />
      {list.data?.length === 0 ? <p class="muted">No series stored yet.</p> : null}
      <table data-testid="series">
        <Head columns={['Series', 'Arrived', 'Routing', 'AI results (review · delivery)', '']} />
        <tbody>
          {list.data?.map((s) => (
            <tr key={s.seriesInstanceUid} data-series={s.seriesInstanceUid}>
              <td>
                <strong>{s.seriesDescription || '(no description)'}</strong> <span class="muted">{s.modality ?? '?'}</span>
                <div class="muted mono">{s.instances} instances</div>
              </td>
              <td>
                {fmtTime(s.lastInstanceAt)}
                <div class="muted">{s.stableAt ? `stable ${fmtTime(s.stableAt)}` : 'waiting to be stable'}</div>
              </td>
              <td data-testid="routing">
                {s.routing ? (
                  <>
                    <Badge kind={s.routing.outcome === 'matched' ? 'ok' : s.routing.outcome === 'no-match' ? 'warn' : s.routing.outcome === 'model-not-installed' ? 'bad' : s.routing.outcome === 'study-wait' ? 'info' : 'off'}>{OUTCOMES[s.routing.outcome] ?? s.routing.outcome}</Badge>
                    {s.routing.matchedRules.length ? <div>rules: {s.routing.matchedRules.join(', ')}</div> : null}
                    {s.routing.reasons.length ? (
                      <ul class="reasons">
                        {s.routing.reasons.map((r) => (
                          <li key={r}>{r}</li>
                        ))}
                      </ul>
                    ) : s.routing.outcome === 'no-match' ? (
                      <div class="muted">no rules were enabled</div>
                    ) : null}
                    <div class="muted">rule set v{s.routing.rulesetVersion ?? '—'}</div>
                  </>
                ) : (
                  <span class="muted">not evaluated yet</span>
                )}
              </td>
              <td>
                {s.results.length === 0 ? <span class="muted">none</span> : null}
                {s.results.map((r) =>
                  r.outcome === 'skipped' ? (
                    // No SEG was made: the reason is the whole story (nothing to review or deliver).
                    <div key={r.id} data-result={r.id} data-outcome="skipped">
                      {r.modelId} gen {r.generation} <Badge kind="off">skipped</Badge> <span class="muted" data-testid="skip-reason">{r.reason}</span>
                    </div>
                  ) : (
                    <div key={r.id} data-result={r.id} data-outcome={r.outcome}>
                      {r.modelId} gen {r.generation} <Badge kind={r.status === 'pending' ? 'warn' : r.status === 'rejected' ? 'bad' : 'ok'}>{r.status}</Badge>{' '}
                      {Object.entries(r.deliveries).map(([k, n]) => (
                        <Badge key={k} kind={k === 'delivered' ? 'ok' : k === 'dead-letter' ? 'bad' : 'info'}>
                          {k} {n}
                        </Badge>
                      ))}
                      {Object.keys(r.deliveries).length === 0 ? <span class="muted">no destinations</span> : null}{' '}
                      <button type="button" class="link" data-testid="show-measurements" onClick={() => setOpen(open === r.id ? null : r.id)}>
                        {open === r.id ? 'hide numbers' : 'numbers'}
                      </button>
                      {open === r.id ? <Measurements resultId={r.id} /> : null}
                    </div>
                  ),
                )}
              </td>
              <td>
                <a href={viewerLink(s.studyInstanceUid)} target="_blank" rel="noopener">
                  Open in viewer
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
