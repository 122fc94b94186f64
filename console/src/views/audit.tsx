import { useState } from 'preact/hooks';
import { call } from '../api.js';
import type { Me } from '../main.js';
import { ErrorBox, Head, Section, fmtTime, useLoad } from '../ui.js';

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

export function AuditView(_: { me: Me }) {
  const [action, setAction] = useState('');
  const list = useLoad(() => call<{ entries: Entry[] }>('audit', { query: { action: action || undefined, limit: 200 } }), [action], 10000);
  return (
    <Section title="Audit trail">
      <div class="filters">
        <label>
          Action
          <select name="action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
            <option value="">every change</option>
            {['rule.', 'rules.', 'destination.', 'job.', 'model.', 'learning.'].map((a) => (
              <option key={a} value={a}>
                {a}*
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={list.error} />
      <table data-testid="audit">
        <Head columns={['When', 'Who', 'Action', 'Target', 'Detail']} />
        <tbody>
          {list.data?.entries.map((e) => (
            <tr key={e.id} data-audit={e.action}>
              <td>{fmtTime(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td class="mono">{e.target}</td>
              <td class="mono small">{JSON.stringify(e.detail)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
