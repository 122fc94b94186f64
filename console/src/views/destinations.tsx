import { useState } from 'preact/hooks';
import { call } from '../api.js';
import type { Me } from '../main.js';
import { Badge, ErrorBox, Head, Section, fmtTime, useAction, useLoad } from '../ui.js';
import { RetryDelivery } from './jobs.js';

interface Destination {
  name: string;
  url?: string;
  /** A DIMSE destination (C-STORE; edited through the API or the rules file). */
  dimse?: { host: string; port: number; aeTitle: string };
  auth?: { type: 'basic' | 'bearer'; username?: string };
  /** How a superseded SEG is deleted there (docs/routing.md, "Late instances"); edited through the API or the rules file. */
  removeSuperseded?: { via: 'orthanc' | 'dicomweb'; url?: string; auth?: { type: string } };
  timeoutSeconds: number;
  source: string;
  updatedBy: string;
  updatedAt: string;
}
interface Stats {
  destination: string;
  counts: Record<string, number>;
  total: number;
  lastDeliveredAt: string | null;
  lastErrors: { deliveryId: string; status: string; reason: string | null; attempts: number; jobId: string | null; createdAt: string }[];
}
interface Requeued {
  destination: string;
  requeued: number;
}
interface Echo {
  ok: boolean;
  status: number;
  ms: number;
  message: string;
}

export function DestinationsView(_: { me: Me }) {
  const list = useLoad(() => call<Destination[]>('destinations'), []);
  const stats = useLoad(() => call<Stats[]>('deliveryStats'), [], 5000);
  const [editing, setEditing] = useState<Destination | 'new'>();
  const [tests, setTests] = useState<Record<string, Echo | string>>({});
  const [requeued, setRequeued] = useState<Record<string, number>>({});
  const act = useAction();
  const statsOf = (name: string) => stats.data?.find((s) => s.destination === name);
  const reload = () => {
    list.reload();
    stats.reload();
  };
  return (
    <>
      <Section title="Destinations" actions={<button data-action="new-destination" onClick={() => setEditing('new')}>New destination</button>}>
        <ErrorBox error={list.error ?? stats.error ?? act.error} />
        {list.data?.length === 0 ? <p class="muted">No destinations: results stay in the node.</p> : null}
        {list.data?.map((d) => {
          const s = statsOf(d.name);
          const t = tests[d.name];
          return (
            <article class="card" key={d.name} data-destination={d.name}>
              <header>
                <h3>{d.name}</h3>
                <span class="mono">{d.dimse ? `DIMSE ${d.dimse.aeTitle}@${d.dimse.host}:${d.dimse.port}` : d.url}</span>
                <span class="muted">
                  {d.auth ? `${d.auth.type} auth` : 'no auth'} · {d.removeSuperseded ? `superseded SEGs deleted via ${d.removeSuperseded.via}` : 'superseded SEGs kept'} · timeout {d.timeoutSeconds} s · from {d.source}, {d.updatedBy} {fmtTime(d.updatedAt)}
                </span>
                <div class="row-actions">
                  <button data-action="edit" onClick={() => setEditing(d)}>
                    Edit
                  </button>
                  <button
                    class="secondary"
                    data-action="test"
                    onClick={() => {
                      setTests({ ...tests, [d.name]: 'testing…' });
                      call<Echo>('destinationTest', { params: { name: d.name } }).then(
                        (r) => setTests((x) => ({ ...x, [d.name]: r })),
                        (e: Error) => setTests((x) => ({ ...x, [d.name]: e.message })),
                      );
                    }}
                  >
                    Test connection
                  </button>
                  {s && (s.counts['dead-letter'] ?? 0) > 0 ? (
                    <button
                      data-action="retry-dead-letters"
                      disabled={act.busy}
                      onClick={() =>
                        act.run(() => call<Requeued>('destinationRetryDeadLetters', { params: { name: d.name } }).then((r) => setRequeued((x) => ({ ...x, [d.name]: r.requeued })))).then(reload)
                      }
                    >
                      Retry all {s.counts['dead-letter']} dead letters
                    </button>
                  ) : null}
                </div>
              </header>
              {t ? (
                <p data-testid="test-result" class={typeof t === 'object' && t.ok ? 'ok' : 'error'}>
                  {typeof t === 'string' ? t : `${t.ok ? 'Reachable' : 'Not reachable'}: ${t.message} (HTTP ${t.status}, ${t.ms} ms)`}
                </p>
              ) : null}
              {requeued[d.name] !== undefined ? (
                <p data-testid="requeued" class="ok">
                  {requeued[d.name]} dead-letter deliveries requeued
                </p>
              ) : null}
              {s ? (
                <div data-testid="delivery-stats">
                  <p>
                    {Object.entries(s.counts)
                      .filter(([, n]) => n > 0)
                      .map(([k, n]) => (
                        <Badge key={k} kind={k === 'delivered' ? 'ok' : k === 'dead-letter' ? 'bad' : 'info'}>
                          {k} {n}
                        </Badge>
                      ))}
                    {s.total === 0 ? <span class="muted">no deliveries yet</span> : null} <span class="muted">last delivered {fmtTime(s.lastDeliveredAt)}</span>
                  </p>
                  {s.lastErrors.length ? (
                    <table class="errors">
                      <Head columns={['Last errors', 'Status', 'Attempts', 'When', '']} />
                      <tbody>
                        {s.lastErrors.map((e) => (
                          <tr key={e.deliveryId} data-delivery={e.deliveryId}>
                            <td class="reason">{e.reason ?? '(no reason recorded)'}</td>
                            <td>{e.status}</td>
                            <td>{e.attempts}</td>
                            <td>{fmtTime(e.createdAt)}</td>
                            <td>
                              <RetryDelivery delivery={e} act={act} then={reload} />
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : null}
                </div>
              ) : null}
            </article>
          );
        })}
      </Section>
      {editing ? (
        <DestinationEditor
          key={editing === 'new' ? 'new' : editing.name}
          dest={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            reload();
          }}
        />
      ) : null}
    </>
  );
}

function DestinationEditor({ dest, onClose, onSaved }: { dest?: Destination; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(dest?.name ?? '');
  const [url, setUrl] = useState(dest?.url ?? '');
  const [timeout, setTimeoutS] = useState(String(dest?.timeoutSeconds ?? 30));
  const [authType, setAuthType] = useState<'none' | 'basic' | 'bearer'>(dest?.auth?.type ?? 'none');
  const [username, setUsername] = useState(dest?.auth?.username ?? '');
  const [secret, setSecret] = useState('');
  const save = useAction();
  const remove = useAction();
  return (
    <Section title={dest ? `Edit destination ${dest.name}` : 'New destination'} actions={<button class="secondary" onClick={onClose}>Close</button>}>
      {dest?.source === 'yaml' ? (
        <p class="warn" data-testid="yaml-note">
          This destination comes from the routing YAML file: the node imports that file again at its next start, which replaces this edit. Change the file too.
        </p>
      ) : null}
      <form
        class="form"
        data-testid="destination-editor"
        onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = { url: url.trim(), timeoutSeconds: Number(timeout) };
          if (authType === 'basic') body.auth = { type: 'basic', username, password: secret };
          if (authType === 'bearer') body.auth = { type: 'bearer', token: secret };
          // Kept as it is; one with its own credentials (never shown here) must be set again through the API.
          if (dest?.removeSuperseded && !dest.removeSuperseded.auth) body.removeSuperseded = dest.removeSuperseded;
          void save.run(() => call('destinationPut', { params: { name: name.trim() }, body })).then((ok) => ok && onSaved());
        }}
      >
        <label>
          Name <input name="name" value={name} disabled={!!dest} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="wide">
          DICOMweb root URL <input name="url" value={url} placeholder="http://pacs:8042/dicom-web" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Timeout (s) <input name="timeoutSeconds" value={timeout} onInput={(e) => setTimeoutS((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Authentication
          <select name="auth" value={authType} onChange={(e) => setAuthType((e.target as HTMLSelectElement).value as 'none')}>
            <option value="none">none</option>
            <option value="basic">basic</option>
            <option value="bearer">bearer token</option>
          </select>
        </label>
        {authType === 'basic' ? (
          <label>
            Username <input name="username" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
          </label>
        ) : null}
        {authType !== 'none' ? (
          <label>
            {authType === 'basic' ? 'Password' : 'Token'} (never shown; enter it again when saving)
            <input name="secret" type="password" autocomplete="off" required value={secret} onInput={(e) => setSecret((e.target as HTMLInputElement).value)} />
          </label>
        ) : null}
        <div class="wide buttons">
          <button type="submit" data-action="save-destination" disabled={save.busy}>
            Save
          </button>
          {dest ? (
            <button type="button" class="danger" data-action="delete-destination" disabled={remove.busy} onClick={() => remove.run(() => call('destinationDelete', { params: { name: dest.name } })).then((ok) => ok && onSaved())}>
              Delete
            </button>
          ) : null}
        </div>
        <ErrorBox error={save.error ?? remove.error} testid="destination-error" />
      </form>
    </Section>
  );
}
