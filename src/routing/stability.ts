import type { Archive } from '../archive/archive.js';
import { stabilityWait } from './completeness.js';
import { evaluateRules } from './matcher.js';
import { routeStableSeries, type RouteDeps } from './route-series.js';
import { loadSeriesSnapshot } from './series-snapshot.js';

export interface StabilityOptions {
  defaultQuietSeconds: number;
  maxWaitSeconds: number;
  checkIntervalSeconds: number;
}

interface PendingRow {
  uid: string;
  id: string | number;
  age: number | string;
  last_text: string;
  routed: string | null;
}

/**
 * Series assembly: a series is stable once no instance arrived for its quiet period (the longest
 * quietSeconds of the rules it matches, else the default), adjusted by completeness hints. The
 * state lives in the database: `series.last_instance_at` (set by the index on every new instance,
 * across any number of STOW requests) against `series_assembly.handled_last_instance_at` (the
 * value when the series was last routed). A restarted node finds the same pending series, so no
 * timer state is lost. Ages are computed with the database clock, which also stamped the instances.
 */
export class StabilityScheduler {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Extra work done on every tick (e.g. releasing reviewed results); errors are logged. */
  readonly onTick: (() => Promise<void>)[] = [];

  constructor(private readonly archive: Archive, private readonly deps: RouteDeps, private readonly opts: StabilityOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** New instances arrived: look again soon (the shortest possible wait from now). */
  nudge(): void {
    if (!this.stopped) this.schedule(250);
  }

  /** Remembers which token stored instances of these series (the rule attribute `Sender`). */
  async noteSender(seriesUids: string[], sender: string): Promise<void> {
    if (seriesUids.length === 0) return;
    await this.deps.db.dataSource.query(
      `INSERT INTO series_assembly (series_fk, sender) SELECT id, $2 FROM series WHERE series_instance_uid = ANY($1)
       ON CONFLICT (series_fk) DO UPDATE SET sender = EXCLUDED.sender`,
      [seriesUids, sender],
    );
  }

  private schedule(ms: number): void {
    const at = Date.now() + ms;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.runTick();
    }, ms);
    this.timer.unref();
  }

  private async runTick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    let next = this.opts.checkIntervalSeconds;
    this.running = (async () => {
      try {
        next = Math.min(next, await this.tick());
        for (const f of this.onTick) await f().catch((err) => this.deps.log.error({ err }, 'routing tick hook failed'));
      } catch (err) {
        this.deps.log.error({ err }, 'series stability check failed; will try again');
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      next = Math.min(next, 0.05);
    }
    this.schedule(Math.max(50, next * 1000));
  }

  /** One pass: routes every due series; returns seconds until the next one is due (or the interval). */
  async tick(): Promise<number> {
    const ruleset = await this.deps.rules.current();
    const { rules } = ruleset;
    const quiets = [this.opts.defaultQuietSeconds, ...rules.map((r) => r.quietSeconds).filter((q): q is number => q !== undefined)];
    const minWait = Math.min(...quiets) / 4;
    const rows = (await this.deps.db.dataSource.query(
      `SELECT se.series_instance_uid AS uid, se.id, EXTRACT(EPOCH FROM (now() - se.last_instance_at)) AS age,
              se.last_instance_at::text AS last_text, a.routed_fingerprint AS routed
         FROM series se LEFT JOIN series_assembly a ON a.series_fk = se.id
        WHERE a.handled_last_instance_at IS NULL OR se.last_instance_at > a.handled_last_instance_at
        ORDER BY se.last_instance_at LIMIT 200`,
    )) as PendingRow[];
    let next = this.opts.checkIntervalSeconds;
    for (const row of rows) {
      const age = Number(row.age);
      if (age < minWait) {
        next = Math.min(next, minWait - age);
        continue;
      }
      const snap = await loadSeriesSnapshot(this.archive, row.uid);
      if (!snap || snap.lastInstanceAtText !== row.last_text) {
        next = Math.min(next, minWait); // more instances arrived meanwhile
        continue;
      }
      const matched = evaluateRules(rules, snap.attributes).matched.filter((r) => r.quietSeconds !== undefined);
      const quiet = matched.length ? Math.max(...matched.map((r) => r.quietSeconds!)) : this.opts.defaultQuietSeconds;
      const wait = stabilityWait({ instanceNumbers: snap.instances.map((i) => i.instanceNumber), numberOfFrames: snap.instances.map((i) => i.numberOfFrames), expectedInstances: snap.expectedInstances }, quiet, this.opts.maxWaitSeconds);
      if (age < wait.seconds) {
        next = Math.min(next, wait.seconds - age);
        continue;
      }
      const rec = await routeStableSeries(this.deps, snap, row.routed);
      // Marked handled only after the jobs exist: a crash in between routes again, and the derived
      // job ids make that a no-op. The exact text of last_instance_at keeps its microseconds.
      await this.deps.db.dataSource.query(
        `INSERT INTO series_assembly (series_fk, handled_last_instance_at, stable_at, fingerprint, routed_fingerprint, hint)
         VALUES ($1, $2::timestamptz, now(), $3, CASE WHEN $4 THEN $3 END, $5)
         ON CONFLICT (series_fk) DO UPDATE SET handled_last_instance_at = EXCLUDED.handled_last_instance_at, stable_at = now(),
           fingerprint = EXCLUDED.fingerprint, hint = EXCLUDED.hint,
           routed_fingerprint = CASE WHEN $4 THEN EXCLUDED.fingerprint ELSE series_assembly.routed_fingerprint END`,
        [snap.seriesFk, row.last_text, snap.fingerprint, rec.outcome === 'matched', `${wait.hint}: ${wait.why}`],
      );
    }
    // Study rules: waits whose deadline passed end now; the next deadline wakes the scheduler.
    if (this.deps.studies) next = Math.min(next, await this.deps.studies.due(ruleset));
    return rows.length >= 200 ? 0 : Math.max(0, next);
  }
}
