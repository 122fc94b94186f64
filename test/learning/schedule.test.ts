import test from 'ava';
import { cronExpression, LearningSchedule } from '../../src/learning/schedule.js';

test('time → cron expression; bad times and timezones are refused', (t) => {
  t.is(cronExpression('02:00'), '0 2 * * *');
  t.is(cronExpression('23:45'), '45 23 * * *');
  t.throws(() => cronExpression('24:00'), { message: /not HH:MM/ });
  const s = new LearningSchedule({ timezone: 'Mars/Olympus' }, { countNewSlices: async () => 0, run: async () => null });
  t.throws(() => s.start());
});

test('skips with a reason when there are too few new slices; runs otherwise; never overlaps', async (t) => {
  let slices = 3;
  let runs = 0;
  let release!: () => void;
  const s = new LearningSchedule({ minSlices: 5, time: '03:30', timezone: 'Europe/Rome' }, {
    countNewSlices: async () => slices,
    run: () => new Promise((resolve) => { runs++; release = () => resolve('ok'); }),
  });
  s.start();
  const skipped = await s.runNow();
  t.deepEqual([skipped.status, skipped.status === 'skipped' && skipped.reason], ['skipped', '3 new corrected slices, fewer than 5']);
  slices = 12;
  const a = s.runNow();
  const b = s.runNow(); // while a runs: the same run, not a second one
  await new Promise((r) => setImmediate(r));
  release();
  t.is(await a, await b);
  t.is(runs, 1);
  t.is((await a).status, 'done');
  t.deepEqual(s.history.map((h) => h.status), ['skipped', 'done']);
  await s.stop();
});
