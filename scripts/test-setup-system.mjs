// The machine-changing steps of scripts/test-setup.mjs: run a command as root, install Debian
// packages without starting their daemons. DAFNE_TEST_SETUP_DRY_RUN=1 prints each such command
// instead of running it (the read-only checks still run), so the install path can be seen on a
// machine that already has everything, without touching it.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync, chmodSync } from 'node:fs';

export const DRY_RUN = process.env.DAFNE_TEST_SETUP_DRY_RUN === '1';

export function log(msg) {
  process.stdout.write(`[test-setup] ${msg}\n`);
}

/** A loud notice: what the tests will skip and why; repeated in the summary at the end. */
const notices = [];
export function notice(msg) {
  notices.push(msg);
  process.stdout.write(`\n[test-setup] !!! ${msg}\n\n`);
}
export function allNotices() {
  return notices;
}

/** A read-only command: { status, stdout, stderr }; status null when the binary is not there. */
export function probe(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function onPath(cmd) {
  return probe('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * How this process may change the machine: [] as root, ['sudo', '-n'] where sudo works without a
 * password, undefined otherwise (then nothing is installed or started; the tests skip instead).
 */
let privilege;
export function rootPrefix() {
  if (privilege !== undefined) return privilege || undefined;
  if (process.getuid?.() === 0) privilege = [];
  else if (onPath('sudo') && probe('sudo', ['-n', 'true']).status === 0) privilege = ['sudo', '-n'];
  else privilege = false;
  return privilege || undefined;
}

/** Why installing is impossible here, or undefined when it is possible. */
export function cannotInstall() {
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg-query')) return 'no apt-get / dpkg (not a Debian machine)';
  if (!rootPrefix()) return 'not root and no password-less sudo';
  return undefined;
}

/** Runs a command as root with inherited output; true on success (always true in a dry run). */
export function asRoot(cmd, args, env = {}) {
  const prefix = rootPrefix() ?? [];
  const argv = [...prefix, ...(prefix.length ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)] : []), cmd, ...args];
  if (DRY_RUN) {
    log(`dry run, would run: ${argv.join(' ')}`);
    return true;
  }
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

/** Of `packages`, those dpkg does not list as installed ("ii"), in one dpkg-query call. */
export function notInstalled(packages) {
  const r = probe('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Abbrev}\n', ...packages]);
  const installed = new Set(r.stdout.split('\n').filter((l) => /\tii/.test(l)).map((l) => l.split('\t')[0]));
  // For trying the install path on a machine that has everything (with DAFNE_TEST_SETUP_DRY_RUN=1).
  const pretend = (process.env.DAFNE_TEST_SETUP_PRETEND_MISSING ?? '').split(/[\s,]+/).filter(Boolean);
  return packages.filter((p) => !installed.has(p) || pretend.includes(p));
}

const POLICY = '/usr/sbin/policy-rc.d';

/**
 * apt-get update + install. A policy-rc.d that exits 101 (Debian's "action forbidden" answer to
 * invoke-rc.d) keeps package scripts from starting daemons: the orthanc package would start one on
 * 8042 and postgresql one on 5432 with its own settings. It is removed again only if we added it.
 * Returns true when every package got installed.
 */
export function aptInstall(packages) {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const addPolicy = !existsSync(POLICY);
  if (addPolicy && !DRY_RUN) {
    if (rootPrefix()?.length) asRoot('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${POLICY} && chmod +x ${POLICY}`]);
    else {
      writeFileSync(POLICY, '#!/bin/sh\nexit 101\n');
      chmodSync(POLICY, 0o755);
    }
  } else if (addPolicy) log(`dry run, would write ${POLICY} (exit 101) for the install`);
  try {
    if (!asRoot('apt-get', ['update', '-q'], env)) return false;
    return asRoot('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], env);
  } finally {
    if (addPolicy && !DRY_RUN) {
      if (rootPrefix()?.length) asRoot('rm', ['-f', POLICY]);
      else rmSync(POLICY, { force: true });
    }
  }
}
