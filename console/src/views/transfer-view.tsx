import { call } from '../api.js';
import { ErrorBox, Section, fmtNum, fmtTime, useLoad } from '../ui.js';
import { fmtSigned, transferPoints, type TransferPoint } from './transfer-data.js';
import { TransferPlot } from './transfer-plot.js';

/**
 * A model's continual learning (issue 15 item 3): the curve of what the site gained and what the
 * original skill kept, run by run, and the table of each run's backward / forward transfer with the
 * gate's decision. Reads GET /api/v1/learning/runs?model= (admin).
 */
export function TransferView({ id }: { id: string }) {
  const runs = useLoad(() => call<{ runs: TransferPoint['run'][] }>('learningRuns', { query: { model: id } }), [id], 10_000);
  const points = transferPoints(runs.data?.runs ?? []);
  return (
    <Section title={`Continual learning · ${id}`}>
      <ErrorBox error={runs.error} />
      <TransferPlot points={points} title={`Held-out Dice on this site and the original skill of ${id} per corrected series learned from`} />
      <p class="muted legend">
        <span class="dot pt" /> site held-out Dice <span class="dot pt-original" /> original skill (reference data) <span class="dot pt-rejected" /> run rejected by the gate (the model
        kept is the run’s base)
      </p>
      <p class="explain" data-testid="transfer-explain">
        <strong>BWT</strong> (backward transfer): what the run did to the skill the model was installed with, its Dice on the model’s reference data after the run minus before
        (negative = forgetting); <strong>cumulative BWT</strong>: the same against the generation local learning started from.{' '}
        <strong>FWT</strong> (forward transfer): how much the earlier local learning already helped on the run’s new corrections before training on them (Dice of the run’s base
        minus that of the starting generation; 0 on the first run).
      </p>
      {points.length ? (
        <table data-testid="transfer-runs">
          <caption class="muted">Learning runs that reached the gate, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Started</th>
              <th scope="col">Gen. base → candidate</th>
              <th scope="col">Series learned</th>
              <th scope="col">Held-out Dice</th>
              <th scope="col">Reference Dice</th>
              <th scope="col">BWT</th>
              <th scope="col">Cumulative BWT</th>
              <th scope="col">FWT</th>
              <th scope="col">Gate</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <TransferRow key={p.run.id} p={p} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}

function TransferRow({ p }: { p: TransferPoint }) {
  const m = p.run.metrics;
  const reasons = p.run.gate?.reasons ?? [];
  return (
    <tr data-run={p.run.id} data-status={p.accepted ? 'accepted' : 'rejected'}>
      <td>{p.n}</td>
      <td>{fmtTime(p.run.startedAt)}</td>
      <td>
        {m.baseGeneration} → {p.run.candidateGeneration ?? '—'}
      </td>
      <td data-metric="seriesLearned">{m.seriesLearned}</td>
      <td data-metric="heldOut">{m.heldOut ? `${fmtNum(m.heldOut.base, 4)} → ${fmtNum(m.heldOut.candidate, 4)}` : '—'}</td>
      <td data-metric="reference">{m.reference ? `${fmtNum(m.reference.base, 4)} → ${fmtNum(m.reference.candidate, 4)}` : '—'}</td>
      <td data-metric="bwt">{fmtSigned(m.bwt)}</td>
      <td data-metric="bwtSinceRoot">{fmtSigned(m.bwtSinceRoot)}</td>
      <td data-metric="fwt">{fmtSigned(m.fwt)}</td>
      <td data-metric="gate" class="reason" title={reasons.join('\n')}>
        {p.accepted ? 'accepted' : 'rejected'}
        {p.run.reason ? `: ${p.run.reason}` : ''}
        {reasons.length ? (
          <details>
            <summary>gate checks</summary>
            <ul>
              {reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </details>
        ) : null}
      </td>
    </tr>
  );
}
