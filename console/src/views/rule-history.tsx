import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { lineDiff, type DiffLine } from '../diff.js';
import { Badge, ErrorBox, Head, Section, fmtTime, useAction, useLoad } from '../ui.js';
import type { Rule, RuleSet } from './rule-model.js';

interface HistoryEntry {
  version: number;
  actor: string;
  action: string;
  detail: string | null;
  createdAt: string;
}

/** The rule set's versions (who, what, when), a line diff of each against the one before, and revert. */
export function History({ current, onReverted }: { current: number; onReverted: () => void }) {
  const history = useLoad(() => call<HistoryEntry[]>('ruleHistory', { query: { limit: 50 } }), [current]);
  const [diff, setDiff] = useState<{ from: number; to: number; lines: DiffLine[] }>();
  const act = useAction();
  const showDiff = (v: number) =>
    act.run(async () => {
      const [a, b] = await Promise.all([v > 1 ? call<RuleSet>('ruleVersion', { params: { version: v - 1 } }) : Promise.resolve({ rules: [] as Rule[] }), call<RuleSet>('ruleVersion', { params: { version: v } })]);
      setDiff({ from: v - 1, to: v, lines: lineDiff(JSON.stringify(a.rules, null, 2), JSON.stringify(b.rules, null, 2)) });
    });
  return (
    <Section title="Version history">
      <ErrorBox error={history.error ?? act.error} />
      <table data-testid="history">
        <Head columns={['Version', 'Change', 'Who', 'When', '']} />
        <tbody>
          {history.data?.map((h) => (
            <tr key={h.version} data-version={h.version}>
              <td>{h.version}</td>
              <td>
                {h.action}
                {h.detail ? ` ${h.detail}` : ''}
              </td>
              <td>{h.actor}</td>
              <td>{fmtTime(h.createdAt)}</td>
              <td class="row-actions">
                <button class="secondary" data-action="diff" onClick={() => showDiff(h.version)}>
                  Diff
                </button>
                {h.version !== current ? (
                  <button data-action="revert" disabled={act.busy} onClick={() => act.run(() => call('ruleRevert', { params: { version: h.version } })).then((ok) => ok && onReverted())}>
                    Revert to this
                  </button>
                ) : (
                  <Badge kind="ok">current</Badge>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff ? (
        <div data-testid="diff">
          <h3>
            Version {diff.from} → {diff.to}
          </h3>
          <pre class="diff">
            {diff.lines.map((l, i) => (
              <div key={i} class={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
                {l.op} {l.text}
              </div>
            ))}
          </pre>
        </div>
      ) : null}
    </Section>
  );
}
