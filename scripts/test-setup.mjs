// First step of `npm test`: make this machine able to run the whole suite, so that a fresh Debian
// machine needs nothing but `npm ci && npm test`. It installs the real peers the tests drive
// (Orthanc + DICOMweb plugin, dicom3tools, DCMTK, pydicom + numpy, Chromium) and makes sure a
// PostgreSQL answers (scripts/test-setup-postgres.mjs). With everything present it only asks dpkg
// and PostgreSQL (well under a second; no apt-get update). Where installing is impossible (not root,
// no apt, offline) it says so loudly and carries on: the tests that need what is missing are then
// skipped with the same reason (test/helpers/requirements.ts). It never removes anything.
//
// DAFNE_TEST_SETUP=skip: do nothing (a machine managed by other means).
// DAFNE_TEST_SETUP_DRY_RUN=1: print the commands that would change the machine instead of running them;
//   with DAFNE_TEST_SETUP_PRETEND_MISSING="orthanc dcmtk" to see the install path on a full machine.
// DAFNE_TEST_SETUP_PACKAGES="...": the Debian packages to ensure, instead of the list below.
import { readdirSync, readFileSync } from 'node:fs';
import { DRY_RUN, allNotices, aptInstall, cannotInstall, log, notInstalled, notice } from './test-setup-system.mjs';
import { ensurePostgres } from './test-setup-postgres.mjs';

const PACKAGES = (process.env.DAFNE_TEST_SETUP_PACKAGES ?? 'orthanc orthanc-dicomweb dicom3tools dcmtk python3-pydicom python3-numpy chromium').split(/\s+/).filter(Boolean);

function ensurePackages() {
  const missing = notInstalled(PACKAGES);
  if (missing.length === 0) return log(`Debian packages present: ${PACKAGES.join(' ')}`);
  const why = cannotInstall();
  if (why) return notice(`missing Debian packages: ${missing.join(' ')}; cannot install them here (${why}). The tests that need them will be skipped. To have them: apt-get install --no-install-recommends ${missing.join(' ')}`);
  log(`installing: ${missing.join(' ')}`);
  const ok = aptInstall(missing);
  const still = DRY_RUN ? [] : notInstalled(missing);
  if (!ok || still.length) notice(`installing ${still.join(' ') || missing.join(' ')} failed (offline? see apt's output above). The tests that need them will be skipped.`);
}

/**
 * A packaged Orthanc (started with the package's /etc/orthanc configuration) is stopped on CI only:
 * the tests start their own on free ports and do not need it gone, and on a workstation it may be
 * someone's. Other Orthancs on this machine are never touched.
 */
function packagedOrthancs() {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'Orthanc') continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.startsWith('/etc/orthanc'))) pids.push(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function handlePackagedOrthanc() {
  for (const pid of packagedOrthancs()) {
    if (!process.env.CI) {
      log(`a packaged Orthanc runs (pid ${pid}); left alone (the tests use their own, on free ports)`);
      continue;
    }
    if (DRY_RUN) {
      log(`dry run, would stop the packaged Orthanc (pid ${pid})`);
      continue;
    }
    log(`CI: stopping the packaged Orthanc (pid ${pid})`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch (err) {
      log(`could not stop it: ${err.message}`);
    }
  }
}

if (process.env.DAFNE_TEST_SETUP === 'skip') {
  log('DAFNE_TEST_SETUP=skip: not checking the machine');
} else {
  const started = Date.now();
  ensurePackages();
  handlePackagedOrthanc();
  await ensurePostgres();
  const notices = allNotices();
  if (notices.length) {
    process.stdout.write(`\n[test-setup] !!! ${notices.length} thing(s) missing; the tests that need them are skipped (marked "- [skip]"):\n`);
    for (const n of notices) process.stdout.write(`[test-setup] !!!   ${n}\n`);
    process.stdout.write('\n');
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
