import type { Archive } from '../archive/archive.js';
import type { ModelCard } from '../inference/model-card.js';
import { mulberry32 } from '../random.js';
import { loadInstance } from '../review/seg-pair.js';
import { loadSeriesSnapshot } from '../routing/series-snapshot.js';
import { isHeldOut, reviewedSlices } from './review-data.js';
import { concatSets, emptySliceSet, type SliceSet } from './slice-set.js';

/**
 * Training data from stored reviews (issue 6 item 2). A reviewed series is the newest accepted or
 * corrected review of a result of this model for that source series: the corrected SEG, or the AI
 * SEG itself when it was accepted as is. Each series has exactly one role:
 * - `benchmark`: the 1st, 3rd, 5th… held-out series in review order until there are
 *   `benchmarkSeries`, frozen in `learning_benchmark` when chosen (never removed or replaced);
 * - `held-out`: the other held-out series (`isHeldOut`, by Series UID hash: never trained on);
 * - `train`: the rest, but only those no accepted run of this model learned from (`learning_sample`
 *   role 'train') and that fewer than `maxAttempts` rejected runs tried (role 'tried'): corrections a
 *   rejected run could not learn from are trained on again with the next ones, not lost;
 * - `trained`: the rest (rehearsal data only, never trained on as new).
 */
export interface ReviewedItem {
  resultId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** The SEG that is the truth: the corrected one, or the accepted AI SEG. */
  segSopInstanceUid: string;
  status: 'accepted' | 'corrected';
}

/** `trained`: an earlier run of this model trained on it (only ever used as rehearsal data). */
export type Role = 'train' | 'held-out' | 'benchmark' | 'trained';

export interface LoadedItem extends ReviewedItem {
  role: Role;
  slices: SliceSet;
}

export interface TrainingData {
  train: SliceSet;
  heldOut: SliceSet;
  benchmark: SliceSet;
  /** Series earlier runs trained on (rehearsal against forgetting; never held-out or benchmark data). */
  trained: SliceSet;
  items: LoadedItem[];
  /** Reviewed series whose source or SEG is gone from the archive or unreadable (skipped). */
  missing: number;
}

export interface SplitOptions {
  heldOutFraction: number;
  benchmarkSeries: number;
  /** Rejected runs a series may be trained in before it is given up (default 3). */
  maxAttempts?: number;
}

interface ItemRow {
  result_id: string | number;
  study: string;
  series: string;
  status: 'accepted' | 'corrected';
  ai_sop: string;
  corrected_sop: string | null;
}

/** The newest accepted / corrected review per source series, in review order (oldest first). */
export async function reviewedItems(archive: Archive, modelId: string): Promise<ReviewedItem[]> {
  const rows = (await archive.db.dataSource.query(
    `SELECT DISTINCT ON (a.source_series_instance_uid) a.id AS result_id, a.study_instance_uid AS study, a.source_series_instance_uid AS series,
            a.status, a.seg_sop_instance_uid AS ai_sop, r.corrected_sop_instance_uid AS corrected_sop, r.id AS review_id
       FROM ai_result a JOIN review r ON r.result_id = a.id AND r.action IN ('accept', 'correct')
      WHERE a.model_id = $1 AND a.status IN ('accepted', 'corrected')
      ORDER BY a.source_series_instance_uid, r.id DESC`,
    [modelId],
  )) as (ItemRow & { review_id: string | number })[];
  rows.sort((x, y) => Number(x.review_id) - Number(y.review_id));
  return rows.map((r) => ({
    resultId: String(r.result_id),
    studyInstanceUid: r.study,
    seriesInstanceUid: r.series,
    segSopInstanceUid: r.status === 'corrected' && r.corrected_sop ? r.corrected_sop : r.ai_sop,
    status: r.status,
  }));
}

/** Assigns roles; freezes new benchmark series (the caller holds the learning lock). */
export async function assignRoles(archive: Archive, modelId: string, items: ReviewedItem[], o: SplitOptions): Promise<(ReviewedItem & { role: Role })[]> {
  const db = archive.db.dataSource;
  const bench = new Set(((await db.query('SELECT series_instance_uid AS s FROM learning_benchmark WHERE model_id = $1', [modelId])) as { s: string }[]).map((r) => r.s));
  // Learned by an accepted run, or tried by `maxAttempts` rejected runs (given up: a correction the
  // gate keeps refusing, e.g. a wrong one, must not block every later night).
  const trained = new Set(
    ((await db.query(`SELECT series_instance_uid AS s FROM learning_sample WHERE model_id = $1 AND role IN ('train', 'tried') GROUP BY series_instance_uid HAVING bool_or(role = 'train') OR count(*) >= $2`, [modelId, o.maxAttempts ?? 3])) as { s: string }[]).map((r) => r.s),
  );
  const out: (ReviewedItem & { role: Role })[] = [];
  let heldOut = 0;
  for (const it of items) {
    if (bench.has(it.seriesInstanceUid)) out.push({ ...it, role: 'benchmark' });
    else if (isHeldOut(it.seriesInstanceUid, o.heldOutFraction)) {
      // Alternate while the benchmark fills (1st, 3rd, 5th… held-out series), so the held-out check
      // has data from the start too. Replaying older items can never move one into the benchmark:
      // the benchmark only grew since, and the held-out count up to that item is the same.
      if (bench.size < o.benchmarkSeries && bench.size <= heldOut) {
        await db.query('INSERT INTO learning_benchmark (model_id, series_instance_uid, result_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [modelId, it.seriesInstanceUid, it.resultId]);
        bench.add(it.seriesInstanceUid);
        out.push({ ...it, role: 'benchmark' });
      } else {
        heldOut++;
        out.push({ ...it, role: 'held-out' });
      }
    } else out.push({ ...it, role: trained.has(it.seriesInstanceUid) ? 'trained' : 'train' });
  }
  return out;
}

/** Source instances + truth SEG from the archive → model-grid slices; undefined when gone. */
export async function loadItem(archive: Archive, it: ReviewedItem, card: ModelCard): Promise<SliceSet | undefined> {
  const snap = await loadSeriesSnapshot(archive, it.seriesInstanceUid);
  const seg = await loadInstance(archive, it.studyInstanceUid, it.segSopInstanceUid);
  if (!snap || !seg) return undefined;
  const files = await Promise.all(snap.instances.map((i) => archive.blobs.read(i.sha256)));
  return reviewedSlices({ sourceFiles: files, seg: seg.bytes }, card);
}

/**
 * The series of the roles in `only` (default all), loaded; `onItem` reports loading progress. A run
 * loads the training series first and the validation ones only when it will train (a skipped night
 * reads no held-out data).
 */
export async function trainingData(archive: Archive, modelId: string, card: ModelCard, o: SplitOptions, onItem?: (done: number, total: number) => void, only?: readonly Role[]): Promise<TrainingData> {
  const roles = (await assignRoles(archive, modelId, await reviewedItems(archive, modelId), o)).filter((r) => !only || only.includes(r.role));
  const [h, w] = card.input.size;
  const items: LoadedItem[] = [];
  let missing = 0;
  for (const [i, it] of roles.entries()) {
    // A series that is gone or unreadable is left out of this run, not a reason to fail it.
    const slices = await loadItem(archive, it, card).catch(() => undefined);
    if (slices) items.push({ ...it, slices });
    else missing++;
    onItem?.(i + 1, roles.length);
  }
  const set = (role: Role): SliceSet => {
    const s = items.filter((i) => i.role === role && i.slices.count > 0).map((i) => i.slices);
    return s.length ? concatSets(s) : emptySliceSet(h, w);
  };
  return { train: set('train'), heldOut: set('held-out'), benchmark: set('benchmark'), trained: set('trained'), items, missing };
}

/**
 * Rehearsal data against forgetting: a random sample (seeded) of the series earlier runs trained
 * on, about twice the `need`ed slices by their recorded slice counts — never all of them, which
 * would grow without bound (100 series of 20 slices at 256² are 0.5 GB of float32).
 */
export async function rehearsalData(archive: Archive, modelId: string, card: ModelCard, o: SplitOptions, need: number, seed: number): Promise<SliceSet> {
  const [h, w] = card.input.size;
  if (need <= 0) return emptySliceSet(h, w);
  const trained = (await assignRoles(archive, modelId, await reviewedItems(archive, modelId), o)).filter((r) => r.role === 'trained');
  const counts = new Map(
    ((await archive.db.dataSource.query(`SELECT series_instance_uid AS s, slices FROM learning_sample WHERE model_id = $1 AND role = 'train'`, [modelId])) as { s: string; slices: number | string }[]).map((r) => [r.s, Number(r.slices)]),
  );
  const rand = mulberry32(seed);
  for (let i = trained.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [trained[i], trained[j]] = [trained[j]!, trained[i]!];
  }
  const sets: SliceSet[] = [];
  let have = 0;
  for (const it of trained) {
    if (have >= 2 * need) break;
    if ((counts.get(it.seriesInstanceUid) ?? 0) === 0) continue;
    const slices = await loadItem(archive, it, card).catch(() => undefined);
    if (!slices || slices.count === 0) continue;
    sets.push(slices);
    have += slices.count;
  }
  return sets.length ? concatSets(sets) : emptySliceSet(h, w);
}
