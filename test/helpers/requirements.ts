/**
 * Test harness: the machine's peers that some tests need (Orthanc, dicom3tools, dcmtk, pydicom,
 * Chromium, a PostgreSQL server), and what a test does when one is missing.
 *
 * `npm test` installs them first (scripts/test-setup.mjs). Only where that was impossible (not root,
 * no apt, offline) can one be missing here; then the tests that need it are declared as skipped, with
 * a notice on stderr naming what is missing and how to install it, rather than failing on an ENOENT
 * deep inside a helper. DAFNE_TEST_REQUIRE=all (set by .ci/run) turns every such skip into a failing
 * test with the same message: on CI nothing may silently go untested.
 *
 * No ava here (testNeeding and forEachDatabase are in declare.ts): benchmarks use these checks
 * outside ava.
 *
 * The checks look at the real things the helpers run (the binary paths they spawn, the imports
 * read_seg.py makes, a connection to the test server), not at package names.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { POSTGRES_ADMIN_URL } from './databases.js';
import { REPO_ROOT } from './node-process.js';
import { DEBIAN_PYTHON } from './validators.js';
import { ORTHANC_BIN, DICOMWEB_PLUGIN } from './orthanc.js';

export type Requirement = 'orthanc' | 'dicom3tools' | 'dcmtk' | 'pydicom' | 'chromium' | 'postgres';

interface Check {
  /** What is missing, or undefined when it is there. */
  missing(): string | undefined;
  install: string;
}

const APT = 'apt-get install --no-install-recommends';
const CHECKS: Record<Requirement, Check> = {
  orthanc: { missing: () => firstAbsent([ORTHANC_BIN, DICOMWEB_PLUGIN]), install: `${APT} orthanc orthanc-dicomweb` },
  dicom3tools: { missing: () => firstAbsent(['/usr/bin/dciodvfy']), install: `${APT} dicom3tools` },
  dcmtk: { missing: () => firstAbsent(['/usr/bin/dcmdump']), install: `${APT} dcmtk` },
  pydicom: { missing: pythonImports, install: `${APT} python3-pydicom python3-numpy` },
  chromium: { missing: () => firstAbsent(['/usr/bin/chromium']), install: `${APT} chromium` },
  postgres: { missing: postgresAnswers, install: `${APT} postgresql (npm test starts a cluster on 127.0.0.1), or set DAFNE_TEST_PG_URL` },
};

function firstAbsent(files: string[]): string | undefined {
  const absent = files.find((f) => !existsSync(f));
  return absent && `${absent} not found`;
}

function pythonImports(): string | undefined {
  if (!existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} not found`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import pydicom, numpy'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? undefined : `${DEBIAN_PYTHON} cannot import pydicom and numpy: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`;
}

/**
 * Whether the test server takes a connection. Test files declare their tests synchronously, so the
 * connection is tried in a child process (one per test file that asks, about 0.2 s).
 */
function postgresAnswers(): string | undefined {
  const probe = `import pg from 'pg';
const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 5000 });
c.connect().then(() => c.query('SELECT 1')).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe, POSTGRES_ADMIN_URL], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 ? undefined : `no PostgreSQL answers at ${POSTGRES_ADMIN_URL}: ${(r.stderr || String(r.error)).trim()}`;
}

/**
 * DAFNE_TEST_PRETEND_MISSING=orthanc,postgres treats those as missing: the way to see the skip (or
 * DAFNE_TEST_REQUIRE=all failure) path on a machine that has everything, without uninstalling.
 */
function pretendMissing(): string[] {
  return (process.env.DAFNE_TEST_PRETEND_MISSING ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

const memo = new Map<Requirement, string | undefined>();
/** What is missing of `reqs`, one line each with how to install it; empty when all are there. */
export function missingRequirements(...reqs: Requirement[]): string[] {
  const lines: string[] = [];
  for (const req of reqs) {
    if (!memo.has(req)) memo.set(req, pretendMissing().includes(req) ? 'DAFNE_TEST_PRETEND_MISSING names it' : CHECKS[req].missing());
    const why = memo.get(req);
    if (why) lines.push(`${req}: ${why} (install: ${CHECKS[req].install})`);
  }
  return lines;
}

/** Whether DAFNE_TEST_REQUIRE=all asks for a failure instead of a skip. */
export function requireAll(): boolean {
  return process.env.DAFNE_TEST_REQUIRE === 'all';
}

const announced = new Set<string>();
/** Prints the notice once per file and missing thing, to stderr (ava shows a worker's stderr). */
export function announceMissing(lines: string[], what: string): void {
  for (const line of lines) {
    if (announced.has(line)) continue;
    announced.add(line);
    process.stderr.write(`\n!!! ${requireAll() ? 'FAILING' : 'SKIPPING'} ${what}: ${line}\n`);
  }
}
