import test from 'ava';
import type { GenerationInfo } from '../../src/inference/model-registry.js';
import { originKind, pendingCandidates, stateOf } from '../../src/learning/model-state.js';
import { labelAgreement } from '../../src/learning/shadow.js';
import type { SegmentDefinition } from '../../src/seg/segment.js';

const gen = (generation: number, active = false): GenerationInfo => ({ modelId: 'm', generation, sha256: `sha${generation}`, parentSha256: null, origin: 'local-fine-tune', createdAt: new Date(0), active });

test('generation states: active, retired (was active or passed over), candidate, shadow (newest waiting under shadow)', (t) => {
  // 0 was active, 1 active now, 2 and 3 accepted candidates never active.
  const gens = [gen(0), gen(1, true), gen(2), gen(3)];
  const wasActive = new Set([0, 1]);
  t.deepEqual(pendingCandidates(gens, wasActive).map((g) => g.generation), [2, 3]);
  t.deepEqual(gens.map((g) => stateOf(g, gens, wasActive, 'manual')), ['retired', 'active', 'candidate', 'candidate']);
  t.deepEqual(gens.map((g) => stateOf(g, gens, wasActive, 'shadow')), ['retired', 'active', 'candidate', 'shadow']);
  // After a rollback from 3 to 1: 3 was active once, 2 was passed over.
  const after = [gen(0), gen(1, true), gen(2), gen(3)];
  t.deepEqual(after.map((g) => stateOf(g, after, new Set([0, 1, 3]), 'shadow')), ['retired', 'active', 'shadow', 'retired']);
  // A candidate older than the active generation is retired.
  const older = [gen(0), gen(1), gen(2, true)];
  t.deepEqual(older.map((g) => stateOf(g, older, new Set([0, 2]), 'manual')), ['retired', 'retired', 'active']);
});

test('origins map onto the contract kinds', (t) => {
  t.deepEqual(['built-in', 'local-fine-tune', 'central-merge', 'imported'].map(originKind), ['demo', 'local-fine-tune', 'central', 'import']);
});

test('shadow agreement: Dice per segment label between two label volumes, absent labels left out', (t) => {
  const seg = (labelValue: number, label: string) => ({ labelValue, label }) as SegmentDefinition;
  const a = Uint8Array.from([0, 1, 1, 1, 2, 2, 0, 0]);
  const b = Uint8Array.from([0, 1, 1, 0, 2, 0, 2, 0]);
  const r = labelAgreement(a, b, [seg(1, 'soleus'), seg(2, 'peroneus'), seg(3, 'absent')]);
  t.deepEqual(r.perLabel, { soleus: (2 * 2) / (3 + 2), peroneus: (2 * 1) / (2 + 2) });
  t.is(r.mean, (0.8 + 0.5) / 2);
  t.throws(() => labelAgreement(a, b.subarray(1), []), { instanceOf: RangeError });
});
