import type { DryRun } from './rule-model.js';
import { Badge, Head } from '../ui.js';

/** The dry-run of a draft rule against the stored series (POST /api/v1/rules/dry-run): its problems, matches, overlaps and plans. */
export function DryRunResult({ result, ruleId }: { result: DryRun; ruleId: string }) {
  const hits = result.matches.filter((m) => m.matchedRules.includes(ruleId));
  const overlaps = result.conflicts.filter((c) => c.rules.includes(ruleId));
  // The tried rule's problems come first: they are why Save would answer 400.
  const issues = result.issues?.filter((x) => x.rule === ruleId) ?? [];
  return (
    <div class="dry-run" data-testid="dry-run">
      {issues.length ? (
        <ul class="error" data-testid="dry-run-issues">
          {issues.map((x) => (
            <li key={x.path}>
              {x.path.replace(/^rule\./, '')}: {x.message}
            </li>
          ))}
        </ul>
      ) : null}
      <p data-testid="dry-run-summary">
        Would match <strong>{hits.length}</strong> of {result.evaluated} stored series
        {overlaps.length ? `; overlaps ${overlaps.map((c) => `rule ${c.rules.find((r) => r !== ruleId)} (${c.series.length} series)`).join(', ')}` : '; no overlap with other rules'}.
      </p>
      {overlaps.map((c) => (
        <p class="warn" key={c.rules.join()}>
          {c.resolution}
        </p>
      ))}
      {hits.length ? (
        <table>
          <Head columns={['Series', 'Plane', 'Matched rules', 'Would run', 'Plan']} />
          <tbody>
            {hits.slice(0, 50).map((m) => (
              <tr key={m.seriesInstanceUid}>
                <td class="mono">{m.seriesInstanceUid}</td>
                <td data-plane={m.plane?.plane ?? ''}>{m.plane?.text ?? <span class="muted">unknown</span>}</td>
                <td>{m.matchedRules.join(', ')}</td>
                <td>{m.excluded ? `never routed: ${m.excluded}` : [...m.wouldRun.map((w) => `${w.ruleId} → ${w.model}${w.destinations.length ? ` → ${w.destinations.join(', ')}` : ''}`), ...(m.study ?? []).filter((x) => x.roles.length).map((x) => `${x.ruleId} (${x.roles.join(', ')}): ${x.text}`)].join('; ') || 'shadowed by a higher priority rule'}</td>
                <td data-testid="dry-run-plan">
                  {[...m.wouldRun, ...(m.study ?? []).flatMap((x) => (x.plan ? [{ ruleId: x.ruleId, plan: x.plan }] : []))].map((w) => (
                    <div key={w.ruleId} data-plan={w.plan.action}>
                      <Badge kind={w.plan.action === 'direct' ? 'ok' : w.plan.action === 'reformat' ? 'info' : w.plan.action === 'skip' ? 'warn' : 'bad'}>{w.plan.action}</Badge> {w.plan.reason}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
