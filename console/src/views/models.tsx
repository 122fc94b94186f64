import { useState } from 'preact/hooks';
import { call, can } from '../api.js';
import type { Me } from '../main.js';
import { Badge, ErrorBox, Head, Section, fmtNum, fmtTime, useAction, useLoad } from '../ui.js';
import { DicePlot } from './plot.js';
import type { LearningRun } from './transfer-data.js';
import { TransferView } from './transfer-view.js';

interface Model {
  id: string;
  name: string;
  policy: 'auto' | 'shadow' | 'manual';
  active: { generation: number; sha256: string; origin: string; createdAt: string } | null;
}
interface Generation {
  generation: number;
  sha256: string;
  parentSha256: string | null;
  origin: string;
  createdAt: string;
  active: boolean;
  state: string;
  scores: { heldOut: number | null; benchmark: number | null; corrections: number | null; perLabel?: Record<string, number> };
  gate: { accepted: boolean; reasons: string[] } | null;
}
/** A learning run as GET /api/v1/learning/runs returns it (one type for both views). */
type Run = LearningRun;

const stateKind = (s: string) => (s === 'active' ? 'ok' : s === 'rejected' ? 'bad' : s === 'candidate' || s === 'shadow' ? 'info' : 'off');

export function ModelsView({ me }: { me: Me }) {
  const models = useLoad(() => call<{ models: Model[] }>('models'), []);
  const [picked, setPicked] = useState<string>();
  const model = picked ?? models.data?.models[0]?.id;
  return (
    <>
      <Section title="Models">
        <ErrorBox error={models.error} />
        <table data-testid="models">
          <Head columns={['Model', 'Active generation', 'Origin', 'Policy', '']} />
          <tbody>
            {models.data?.models.map((m) => (
              <tr key={m.id} data-model={m.id} class={m.id === model ? 'selected' : ''}>
                <td>
                  <strong>{m.name}</strong> <span class="muted mono">{m.id}</span>
                </td>
                <td>{m.active ? `${m.active.generation} (${m.active.sha256.slice(0, 12)})` : 'none'}</td>
                <td>{m.active?.origin ?? '—'}</td>
                <td>{m.policy}</td>
                <td>
                  <button class="secondary" data-action="open-model" onClick={() => setPicked(m.id)}>
                    Generations & learning curve
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {model ? <ModelDetail key={model} id={model} me={me} onChanged={models.reload} /> : null}
      {can(me.roles, 'learningRuns') ? <Runs /> : null}
    </>
  );
}

function ModelDetail({ id, me, onChanged }: { id: string; me: Me; onChanged: () => void }) {
  const gens = useLoad(() => call<{ generations: Generation[] }>('generations', { params: { id } }), [id]);
  const corr = useLoad(() => call<{ labels: { name: string; reviews: number; meanDice: number | null; changedFraction: number | null }[] }>('corrections', { params: { id } }), [id]);
  const act = useAction();
  const admin = can(me.roles, 'promote');
  const list = gens.data?.generations ?? [];
  const after = () => {
    gens.reload();
    onChanged();
  };
  return (
    <>
      <Section title={`Learning curve · ${id}`}>
        <ErrorBox error={gens.error} />
        <DicePlot
          title={`Held-out Dice per generation of ${id}`}
          points={list.map((g) => ({ x: g.generation, y: g.scores.heldOut, rejected: g.gate ? !g.gate.accepted : g.state === 'rejected', active: g.active, label: `generation ${g.generation} (${g.origin}, ${g.state}): held-out Dice ${fmtNum(g.scores.heldOut)}` }))}
        />
        <p class="muted legend">
          <span class="dot pt-active" /> active <span class="dot pt" /> accepted <span class="dot pt-rejected" /> rejected by the gate
        </p>
      </Section>
      {can(me.roles, 'learningRuns') ? <TransferView id={id} /> : null}
      <Section
        title="Generations"
        actions={
          admin ? (
            <button class="danger" data-action="rollback" disabled={act.busy} onClick={() => act.run(() => call('rollback', { params: { id } })).then(after)}>
              Roll back to the previous generation
            </button>
          ) : null
        }
      >
        <ErrorBox error={act.error} />
        <table data-testid="generations">
          <Head columns={['Gen.', 'State', 'Origin', 'Held-out Dice', 'Benchmark', 'Corrections', 'Gate', 'Created', '']} />
          <tbody>
            {[...list].reverse().map((g) => (
              <tr key={g.generation} data-generation={g.generation}>
                <td>
                  {g.generation} <span class="muted mono" title={g.sha256}>{g.sha256.slice(0, 8)}</span>
                </td>
                <td>
                  <Badge kind={stateKind(g.state)}>{g.state}</Badge>
                </td>
                <td>{g.origin}</td>
                <td>{fmtNum(g.scores.heldOut)}</td>
                <td>{fmtNum(g.scores.benchmark)}</td>
                <td>{fmtNum(g.scores.corrections)}</td>
                <td>{g.gate ? <span title={g.gate.reasons.join('\n')}>{g.gate.accepted ? 'accepted' : 'rejected'}{g.gate.reasons.length ? `: ${g.gate.reasons.join('; ')}` : ''}</span> : '—'}</td>
                <td>{fmtTime(g.createdAt)}</td>
                <td>
                  {admin && !g.active ? (
                    <button data-action="promote" disabled={act.busy} onClick={() => act.run(() => call('promote', { params: { id }, body: { generation: g.generation } })).then(after)}>
                      Promote
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Per-structure correction rate (what readers changed)">
        <ErrorBox error={corr.error} />
        {corr.data?.labels.every((l) => l.reviews === 0) ? <p class="muted">No reviews of this model's results yet.</p> : null}
        <table data-testid="corrections">
          <Head columns={['Structure', 'Reviews', 'Mean Dice AI ↔ reader', 'Changed']} />
          <tbody>
            {corr.data?.labels.map((l) => (
              <tr key={l.name} data-label={l.name}>
                <td>{l.name}</td>
                <td>{l.reviews}</td>
                <td>{fmtNum(l.meanDice)}</td>
                <td>
                  <svg class="mini" viewBox="0 0 100 10" aria-hidden="true">
                    <rect x="0" y="0" width="100" height="10" class="bar-bg" />
                    <rect x="0" y="0" width={100 * (l.changedFraction ?? 0)} height="10" class="bar-used" />
                  </svg>{' '}
                  {l.changedFraction === null ? '—' : `${(100 * l.changedFraction).toFixed(0)} %`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}

function Runs() {
  const runs = useLoad(() => call<{ runs: Run[] }>('learningRuns'), [], 5000);
  const act = useAction();
  return (
    <Section
      title="Learning runs"
      actions={
        <button data-action="run-learning" disabled={act.busy} onClick={() => act.run(() => call('learningRun', { body: {} })).then(runs.reload)}>
          Run the nightly fine-tune now
        </button>
      }
    >
      <ErrorBox error={runs.error ?? act.error} />
      <table data-testid="runs">
        <Head columns={['Started', 'Model', 'Status', 'Slices', 'Candidate', 'Reason']} />
        <tbody>
          {runs.data?.runs.map((r) => (
            <tr key={r.id}>
              <td>{fmtTime(r.startedAt)}</td>
              <td>{r.modelId}</td>
              <td>
                {r.status}
                {r.status === 'running' && r.progress !== null ? ` ${Math.round(r.progress * 100)} %` : ''}
              </td>
              <td>{r.slices ?? '—'}</td>
              <td>{r.candidateGeneration ?? '—'}</td>
              <td class="reason">{r.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data?.runs.length === 0 ? <p class="muted">No learning runs yet.</p> : null}
    </Section>
  );
}
