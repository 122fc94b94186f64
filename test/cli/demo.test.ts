import test from 'ava';
import { chooseModel, type ModelView } from '../../src/cli/demo.js';
import { DemoError } from '../../src/cli/demo-http.js';

const model = (id: string, active = true): ModelView => ({ id, name: `${id} model`, active: active ? { generation: 2, sha256: 'ab'.repeat(32), origin: 'built-in' } : null });

test('the demo model is chosen when present, without a note', (t) => {
  const r = chooseModel([model('threshold-test'), model('leg-demo')], undefined);
  t.is(r.model.id, 'leg-demo');
  t.is(r.note, undefined);
});

test('without the demo model the fallback is named as not the demo model', (t) => {
  const r = chooseModel([model('leg-demo', false), model('threshold-test')], undefined);
  t.is(r.model.id, 'threshold-test');
  t.regex(r.note!, /^NOTE: the demo model "leg-demo" is not registered in this node; falling back to "threshold-test" \(threshold-test model\), which is not the demo model/);
});

test('--model must exist; an empty registry is a clear error', (t) => {
  t.is(chooseModel([model('leg-demo'), model('other')], 'other').model.id, 'other');
  const missing = t.throws(() => chooseModel([model('leg-demo')], 'nope'), { instanceOf: DemoError });
  t.is(missing.message, 'the node has no model "nope" with an active generation (models: leg-demo)');
  t.is((missing as DemoError).exitCode, 69);
  t.throws(() => chooseModel([], undefined), { message: /the node has no model at all: register the demo model with "dafne-node model add models\/leg-demo"/ });
});
