/**
 * ava's side of the test harness: tests declared only where their peers are (testNeeding) and once
 * per database kind (forEachDatabase). requirements.ts and databases.ts stay free of ava, so the
 * benchmarks (bench/, run with plain node) can use the same helpers.
 */
import test, { type TestFn } from 'ava';
import { postgresMissing, testDatabases, type DatabaseKind } from './databases.js';
import { announceMissing, missingRequirements, requireAll, type Requirement } from './requirements.js';

/**
 * ava's `test` when every requirement is there. Otherwise a stand-in with the same shape: each test
 * is declared skipped (or, with DAFNE_TEST_REQUIRE=all, as a test that fails with the reason) and
 * hooks are dropped, so a `before` that starts Orthanc never runs without Orthanc.
 */
export function testNeeding(...reqs: Requirement[]): TestFn {
  const lines = missingRequirements(...reqs);
  if (lines.length === 0) return test;
  announceMissing(lines, `tests that need ${reqs.join(', ')}`);
  const reason = `missing: ${lines.join('; ')}`;
  const declare = (serial: boolean) => (title: string) => {
    if (requireAll()) (serial ? test.serial : test)(title, (t) => t.fail(reason));
    else (serial ? test.serial.skip : test.skip)(title, () => undefined);
  };
  const noop = () => undefined;
  const hook = Object.assign(noop, { always: noop, skip: noop });
  const serial = Object.assign(declare(true), { skip: declare(true), only: declare(true), failing: declare(true), before: hook, after: hook, beforeEach: hook, afterEach: hook, todo: test.serial.todo });
  const stand = Object.assign(declare(false), {
    serial,
    skip: declare(false),
    only: declare(false),
    failing: declare(false),
    before: hook,
    after: hook,
    beforeEach: hook,
    afterEach: hook,
    todo: test.todo,
    macro: test.macro,
    meta: test.meta,
  });
  return stand as unknown as TestFn;
}

/** Calls `fn` once per database kind, to declare that kind's tests (put the kind in their titles). */
export function forEachDatabase(fn: (kind: DatabaseKind) => void): void {
  const kinds = testDatabases();
  // The PostgreSQL variants left out above still show in ava's report, as one skipped test per file.
  if (!process.env.DAFNE_TEST_DATABASES && !kinds.includes('postgres')) {
    const missing = postgresMissing();
    announceMissing(missing, 'the PostgreSQL variants');
    test.skip(`postgres variants of this file (${missing.join('; ')})`, () => undefined);
  }
  for (const kind of kinds) fn(kind);
}
