import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { Badge, ErrorBox, Head, Section, useAction } from '../ui.js';
import type { Rule, RuleTest } from './rule-model.js';

const KIND: Record<string, string> = { runs: 'ok', study: 'info', shadowed: 'warn', 'no-match': 'off', disabled: 'off', excluded: 'off' };

/**
 * The rule tester (POST /api/v1/rules/test): every rule of the current set, and the draft being
 * edited when there is one, against one stored series: whether it matches, which condition failed,
 * the series' plane, and what would happen. The node's dry-run computes it; this only shows it.
 */
export function RuleTester({ draft }: { draft?: () => Rule | undefined }) {
  const [uid, setUid] = useState('');
  const [result, setResult] = useState<RuleTest>();
  const run = useAction();
  // Two testers can be on the page (the rules' and the editor's): each has its own test id.
  const id = draft ? 'rule-tester-draft' : 'rule-tester';
  const test = () => {
    const rule = draft ? draft() : undefined;
    if (draft && !rule) return; // the editor shows what is wrong with the draft
    void run.run(async () => setResult(await call<RuleTest>('ruleTest', { body: { seriesInstanceUid: uid.trim(), ...(rule ? { rule } : {}) } })));
  };
  return (
    <Section title={draft ? 'Test this draft and the rules on a stored series' : 'Test the rules on a stored series'}>
      <form
        class="form"
        data-testid={id}
        onSubmit={(e) => {
          e.preventDefault();
          test();
        }}
      >
        <label class="wide">
          Series Instance UID <input name="seriesInstanceUid" class="mono" value={uid} placeholder="1.2.840…" onInput={(e) => setUid((e.target as HTMLInputElement).value)} />
        </label>
        <div class="wide buttons">
          <button type="submit" data-action="test-rules" disabled={run.busy || !uid.trim()}>
            Test rules
          </button>
        </div>
        <ErrorBox error={run.error} testid={`${id}-error`} />
      </form>
      {result ? (
        <div data-testid={`${id}-result`}>
          <p>
            Plane: <strong data-plane={result.plane?.plane ?? ''}>{result.plane?.text ?? 'unknown (no usable orientation)'}</strong>
            {result.geometry ? ` · ${result.geometry.slices} slices, spacing ${result.geometry.spacing.join(' × ')} mm` : ''}
            {result.excluded ? ` · never routed: ${result.excluded}` : ''}
          </p>
          {result.issues.length ? (
            <ul class="error">
              {result.issues.map((x) => (
                <li key={x.path}>
                  {x.path}: {x.message}
                </li>
              ))}
            </ul>
          ) : null}
          <table>
            <Head columns={['Rule', 'Trigger', 'Priority', 'Matches', 'What would happen / why not']} />
            <tbody>
              {result.rules.map((r) => (
                <tr key={r.ruleId} data-rule={r.ruleId} data-outcome={r.outcome}>
                  <td>
                    <strong>{r.ruleId}</strong>
                    {r.draft ? <span class="muted"> (draft)</span> : null}
                  </td>
                  <td>{r.trigger}</td>
                  <td>{r.priority}</td>
                  <td>
                    <Badge kind={KIND[r.outcome] ?? 'off'}>{r.outcome}</Badge>
                  </td>
                  <td data-testid="rule-test-explanation">
                    {/* Several failed conditions read better as a list than as one long line. */}
                    {r.outcome === 'no-match' && r.failed.length > 1 ? 'does not match:' : r.explanation}
                    {r.outcome === 'no-match' && r.failed.length > 1 ? (
                      <ul class="reasons">
                        {r.failed.map((f) => (
                          <li key={f}>{f}</li>
                        ))}
                      </ul>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Section>
  );
}
