import test from 'ava';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { LearningService } from '../../src/learning/learning-service.js';

test('learning config: defaults (nightly 02:00, 5 slices, shadow policy, ε 0.005, Dafne recipe)', (t) => {
  const c = validateConfig({}).learning;
  t.like(c, { enabled: true, time: '02:00', minSlices: 5, policy: 'shadow', heldOutFraction: 0.2, benchmarkSeries: 5, epsilon: 0.005, minImprovement: 0 });
  t.deepEqual(c.recipe, {});
  t.deepEqual(c.models, {});
});

test('learning config: a bad time, timezone or policy stops start-up naming the key', (t) => {
  for (const [learning, key] of [
    [{ time: '25:00' }, 'learning.time'],
    [{ timezone: 'Mars/Olympus' }, 'learning.timezone'],
    [{ policy: 'sometimes' }, 'learning.policy'],
    [{ models: { 'leg-demo': 'always' } }, 'learning.models.leg-demo'],
  ] as const) {
    const err = t.throws(() => validateConfig({ learning }), { instanceOf: ConfigError });
    t.true(err!.message.includes(key), err!.message);
  }
  t.is(validateConfig({ learning: { timezone: 'Europe/Rome', time: '3:30' } }).learning.timezone, 'Europe/Rome');
});

test('learning.recipe overrides are checked when the node is built, not at night', (t) => {
  const deps = (recipe: Record<string, unknown>) => ({ config: validateConfig({ learning: { recipe } }).learning, archive: { db: { kind: 'pglite' } }, models: {}, queue: {}, audit: {}, log: {} }) as unknown as ConstructorParameters<typeof LearningService>[0];
  const err = t.throws(() => new LearningService(deps({ epochz: 3 })));
  t.regex(err!.message, /^learning\.recipe: .*epochz/);
  t.is(new LearningService(deps({ epochs: 1, learningRate: 1e-4 })).recipe.epochs, 1);
});
