// The PostgreSQL server the database tests use (test/helpers/databases.ts: DAFNE_TEST_PG_URL, default
// postgres://postgres@127.0.0.1:5432/postgres). If nothing answers there and the URL is on this
// machine: start the Debian cluster configured on that port; else install Debian's postgresql if
// needed and create a cluster on that port, bound to 127.0.0.1, trusting local connections (a test
// machine's database, never a site's). A server that answers but refuses us is left as it is.
import pg from 'pg';
import { DRY_RUN, aptInstall, asRoot, cannotInstall, log, notInstalled, notice, probe } from './test-setup-system.mjs';

const URL_ = process.env.DAFNE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const INSTALL_HINT = 'apt-get install postgresql (and start a cluster on 127.0.0.1), or point DAFNE_TEST_PG_URL at a server';

/** undefined when we can connect; else the error (code ECONNREFUSED when nothing listens). */
async function connect() {
  const c = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Debian clusters as { version, name, port, online } from pg_lsclusters (none if it is not installed). */
function clusters() {
  const r = probe('pg_lsclusters', ['--no-header']);
  if (r.status !== 0) return [];
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [version, name, port, status] = l.trim().split(/\s+/);
    return { version, name, port: Number(port), online: status === 'online' };
  });
}

function installedMajor() {
  const r = probe('sh', ['-c', 'ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1']);
  return r.stdout.trim() || undefined;
}

async function waitUntilAnswering(ms) {
  const deadline = Date.now() + ms;
  let err = await connect();
  while (err && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    err = await connect();
  }
  return err;
}

/**
 * listen_addresses in the cluster's conf.d (Debian's postgresql.conf includes it): pg_conftool and
 * pg_createcluster -o write an address unquoted, which PostgreSQL rejects as a syntax error.
 */
function loopbackOnly(dir) {
  asRoot('sh', ['-c', `mkdir -p ${dir}/conf.d && printf '%s\\n' "# test machine (dafne-node scripts/test-setup-postgres.mjs)" "listen_addresses = '127.0.0.1'" > ${dir}/conf.d/dafne-test.conf`]);
}

export async function ensurePostgres() {
  const wanted = process.env.DAFNE_TEST_DATABASES;
  if (wanted && !wanted.split(',').map((k) => k.trim()).includes('postgres')) return log('DAFNE_TEST_DATABASES leaves out postgres: not checking it');
  const first = await connect();
  if (!first) return log(`PostgreSQL answers at ${URL_}`);
  const { hostname, port: p } = new URL(URL_);
  const port = Number(p || 5432);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) {
    return notice(`cannot use the PostgreSQL at ${URL_} (${first.message}); it is not on this machine, so nothing is set up. The postgres variants of the database tests will be skipped.`);
  }
  if (first.code !== 'ECONNREFUSED' && first.code !== 'ENOENT') {
    return notice(`PostgreSQL at ${URL_} answers but refuses the tests (${first.message}); not changing its configuration. The postgres variants of the database tests will be skipped: fix access or set DAFNE_TEST_PG_URL.`);
  }
  const why = cannotInstall();
  if (why) return notice(`no PostgreSQL answers at ${URL_} and it cannot be set up here (${why}); the postgres variants of the database tests will be skipped. To have them: ${INSTALL_HINT}.`);

  let installedNow = false;
  if (notInstalled(['postgresql']).length) {
    log('installing Debian postgresql (its own cluster is not started by the package)');
    if (!aptInstall(['postgresql'])) return notice(`installing postgresql failed (offline?); the postgres variants will be skipped. To have them: ${INSTALL_HINT}.`);
    installedNow = true;
  }
  let cluster = clusters().find((c) => c.port === port);
  const version = cluster?.version ?? installedMajor() ?? (DRY_RUN ? '15' : undefined);
  if (!version) return notice('postgresql is installed but no server version was found under /usr/lib/postgresql; the postgres variants will be skipped.');
  const conf = (name) => `/etc/postgresql/${version}/${name}`;
  if (cluster && installedNow) {
    // The package just made this cluster with peer / scram authentication; the tests connect as
    // postgres without a password, so this fresh, empty cluster trusts connections on loopback only.
    log(`configuring the new cluster ${version}/${cluster.name}: listen on 127.0.0.1, trust local connections`);
    loopbackOnly(conf(cluster.name));
    asRoot('sh', ['-c', `printf '%s\\n' '# test machine (dafne-node scripts/test-setup-postgres.mjs): loopback only, no passwords' 'local all all trust' 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' > ${conf(cluster.name)}/pg_hba.conf`]);
  } else if (!cluster) {
    const name = 'dafne-test';
    log(`creating PostgreSQL cluster ${version}/${name} on 127.0.0.1:${port} (trust on loopback)`);
    if (!asRoot('pg_createcluster', [version, name, '--port', String(port), '--', '--auth-local=trust', '--auth-host=trust'])) {
      return notice(`pg_createcluster failed; the postgres variants will be skipped. To have them: ${INSTALL_HINT}.`);
    }
    loopbackOnly(conf(name));
    cluster = { version, name, port, online: false };
  }
  if (!cluster.online) {
    log(`starting PostgreSQL cluster ${version}/${cluster.name}`);
    if (!asRoot('pg_ctlcluster', ['--skip-systemctl-redirect', version, cluster.name, 'start'])) {
      return notice(`starting PostgreSQL cluster ${version}/${cluster.name} failed (see its log above); the postgres variants will be skipped.`);
    }
  }
  if (DRY_RUN) return log('dry run: not waiting for PostgreSQL');
  const err = await waitUntilAnswering(60_000);
  if (err) return notice(`PostgreSQL at ${URL_} still does not answer (${err.message}); the postgres variants will be skipped.`);
  log(`PostgreSQL answers at ${URL_}`);
}
