/**
 * The Dafne Node operator console (docs/console.md): one page at /console/ with hash routes. It
 * signs in with a bearer token kept in this tab's sessionStorage and talks only to the node's
 * documented /api/v1 (api-table.ts). Admins see every section; readers a read-only subset.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, can, token } from './api.js';
import type { ApiName } from '../../src/console/api-table.js';
import { ErrorBox, messageOf } from './ui.js';
import { AuditView } from './views/audit.js';
import { DestinationsView } from './views/destinations.js';
import { FederationView } from './views/federation.js';
import { HealthView } from './views/health.js';
import { JobsView } from './views/jobs.js';
import { ModelsView } from './views/models.js';
import { RulesView } from './views/rules.js';
import { SeriesView } from './views/series.js';

export interface Me {
  name: string;
  roles: string[];
  anonymous: boolean;
}

const SECTIONS: { id: string; title: string; needs: ApiName; view: (p: { me: Me }) => preact.JSX.Element }[] = [
  { id: 'rules', title: 'Routing rules', needs: 'rules', view: RulesView },
  { id: 'destinations', title: 'Destinations', needs: 'destinations', view: DestinationsView },
  { id: 'jobs', title: 'Jobs & deliveries', needs: 'jobs', view: JobsView },
  { id: 'series', title: 'Series & results', needs: 'series', view: SeriesView },
  { id: 'models', title: 'Models & learning', needs: 'models', view: ModelsView },
  { id: 'federation', title: 'Federation', needs: 'federationStatus', view: FederationView },
  { id: 'health', title: 'Health', needs: 'status', view: HealthView },
  { id: 'audit', title: 'Audit trail', needs: 'audit', view: AuditView },
];

const routeOf = (): string => location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';

function SignIn({ onDone, problem }: { onDone: () => void; problem?: string }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="signin panel"
      data-testid="signin"
      onSubmit={(e) => {
        e.preventDefault();
        token.set(value.trim());
        onDone();
      }}
    >
      <h1>Dafne Node console</h1>
      <p>Sign in with an admin token (readers see a read-only subset). It is kept for this browser tab only.</p>
      <label>
        Token <input name="token" type="password" autocomplete="off" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Sign in</button>
      <ErrorBox error={problem} />
    </form>
  );
}

function App() {
  const [me, setMe] = useState<Me>();
  const [problem, setProblem] = useState<string>();
  const [needSignIn, setNeedSignIn] = useState(false);
  const [route, setRoute] = useState(routeOf());
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const on = () => setRoute(routeOf());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    call<Me>('me').then(
      (m) => {
        setMe(m);
        setNeedSignIn(false);
        setProblem(undefined);
      },
      (e: unknown) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          if (token.get()) setProblem(e.status === 401 ? 'That token is not valid.' : 'That token has neither the admin nor the reader role.');
          token.clear();
          setNeedSignIn(true);
        } else setProblem(messageOf(e));
      },
    );
  }, [attempt]);

  if (needSignIn) return <SignIn problem={problem} onDone={() => setAttempt((n) => n + 1)} />;
  if (!me) return <ErrorBox error={problem} />;
  const visible = SECTIONS.filter((s) => can(me.roles, s.needs));
  const current = visible.find((s) => s.id === route) ?? visible[0];
  const View = current?.view;
  return (
    <div class="shell">
      <nav>
        <strong class="brand">Dafne Node</strong>
        {visible.map((s) => (
          <a key={s.id} href={`#/${s.id}`} class={s === current ? 'active' : ''} data-nav={s.id}>
            {s.title}
          </a>
        ))}
        <span class="who" data-testid="who">
          {me.name}
          {me.anonymous ? ' (no tokens, loopback)' : ''} · {me.roles.filter((r) => r === 'admin' || r === 'reader').join(', ') || 'no console role'}
          {!me.anonymous ? (
            <button
              class="link"
              onClick={() => {
                token.clear();
                setMe(undefined);
                setNeedSignIn(true);
                setProblem(undefined);
              }}
            >
              sign out
            </button>
          ) : null}
        </span>
      </nav>
      <main data-section={current?.id}>{View ? <View me={me} /> : <p>This token can use none of the console's sections.</p>}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
