import test from 'ava';
import { configSchema } from '../../src/config/schema.js';
import { JITTER, retryDelaySeconds, retryLimitFor, retryTimes } from '../../src/export/retry-schedule.js';

/**
 * The default delivery schedule (issue 17 item 3), computed with the real function from the real
 * config defaults: a destination down for 60 minutes, or a night, is still being retried when it
 * comes back, and the wait after it is back stays bounded by the cap.
 */
const defaults = configSchema.parse({}).delivery.retry;
const HOUR = 3600;

test('defaults: 15 s doubling, capped at 2 h, for 72 h', (t) => {
  t.deepEqual(defaults, { initialSeconds: 15, maxSeconds: 7200, giveUpAfterHours: 72 });
  const mid = () => 0.5; // no jitter
  t.deepEqual([0, 1, 2, 3, 8, 9, 10, 30].map((n) => retryDelaySeconds(n, defaults, mid)), [15, 30, 60, 120, 3840, 7200, 7200, 7200]);
});

test('defaults keep retrying past 60 min, past a night, and give up only after 72 h', (t) => {
  for (const random of [() => 0, () => 0.5, () => 0.999999]) {
    const times = retryTimes(defaults, random);
    const last = times.at(-1)!;
    t.true(times.some((s) => s > HOUR), 'a retry after the first hour');
    t.true(times.filter((s) => s > HOUR).length >= 30, 'many retries after the first hour');
    t.true(times.some((s) => s > 12 * HOUR && s < 14.5 * HOUR), 'a retry in the morning after a 12 h night');
    t.true(last >= 72 * HOUR, `last retry at ${(last / HOUR).toFixed(1)} h`);
    // The longest gap between two retries is the cap (+ jitter): once back, a destination waits at most that.
    const gaps = times.map((s, i) => s - (times[i - 1] ?? 0));
    t.true(Math.max(...gaps) <= 7200 * (1 + JITTER) + 1);
  }
  t.is(retryLimitFor(defaults), 48, '48 retries: at least 72 h even if every delay is 10 % short');
});

test('a 60 min outage: the first retry after it comes within the outage length again (doubling)', (t) => {
  const times = retryTimes(defaults);
  const after = times.find((s) => s >= HOUR)!;
  t.true(after - HOUR <= HOUR, `first retry after the outage ${((after - HOUR) / 60).toFixed(1)} min later`);
  t.is(Math.round(after), 3825, 'the 8th retry, 63.75 min after the first failure');
});

test('old default behaviour for comparison: pg-boss doubling × 8 retries ends after ≈ 21–42 min', (t) => {
  // retryDelay 5 × 2^n/2 × (1..2), n = 1..8: what docs/routing.md called the ≈ 20 min dead letter.
  const min = [1, 2, 3, 4, 5, 6, 7, 8].reduce((a, n) => a + (5 * 2 ** n) / 2, 0);
  t.is(min, 1275);
  t.true(min * 2 < HOUR * 0.75);
});

test('a seconds schedule (as the outage test uses) and its limit', (t) => {
  const r = { initialSeconds: 1, maxSeconds: 4, giveUpAfterHours: 1 };
  t.deepEqual([0, 1, 2, 3, 4].map((n) => retryDelaySeconds(n, r, () => 0.5)), [1, 2, 4, 4, 4]);
  t.true(retryLimitFor(r) > 900);
  t.is(retryLimitFor({ initialSeconds: 10, maxSeconds: 10, giveUpAfterHours: 0 }), 0, 'giveUpAfterHours 0: no retries');
});

test('the config refuses a cap below the first delay', (t) => {
  const r = configSchema.safeParse({ delivery: { retry: { initialSeconds: 60, maxSeconds: 30 } } });
  t.false(r.success);
  t.regex(JSON.stringify(r.error?.issues), /maxSeconds/);
});
