import { schedule as cronSchedule, validate, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

/**
 * The nightly learning schedule (issue 6 item 6): node-cron at a configured time and timezone, never
 * two runs at once (cron's noOverlap plus our own guard, which also covers `runNow`), and a run is
 * skipped with a recorded reason when there are too few new corrected slices (Dafne used 5).
 */
export interface ScheduleConfig {
  /** "HH:MM", 24 h; default 02:00. */
  time?: string;
  /** IANA timezone, e.g. "Europe/Rome"; default the process's. An invalid one throws at start. */
  timezone?: string;
  /** Fewest new corrected slices worth a run; default 5. */
  minSlices?: number;
}

export type RunOutcome =
  | { status: 'skipped'; reason: string; at: Date }
  | { status: 'done'; at: Date; detail?: unknown }
  | { status: 'failed'; reason: string; at: Date };

export interface ScheduleHooks {
  /** New corrected slices since the last run. */
  countNewSlices: () => Promise<number>;
  /** The learning run itself (data → fine-tune → gate → promotion). */
  run: () => Promise<unknown>;
  log?: Logger;
}

export function cronExpression(time = '02:00'): string {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) throw new RangeError(`learning schedule time "${time}" is not HH:MM`);
  const expr = `${Number(m[2])} ${Number(m[1])} * * *`;
  if (!validate(expr)) throw new RangeError(`invalid cron expression ${expr}`);
  return expr;
}

export class LearningSchedule {
  private task: ScheduledTask | undefined;
  private running: Promise<RunOutcome> | undefined;
  /** Outcomes, newest last (the nightly record; kept in memory, bounded). */
  readonly history: RunOutcome[] = [];

  constructor(private readonly config: ScheduleConfig, private readonly hooks: ScheduleHooks) {}

  start(): void {
    if (this.task) return;
    this.task = cronSchedule(cronExpression(this.config.time), () => void this.runNow(), { timezone: this.config.timezone, noOverlap: true, name: 'dafne-learning' });
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    this.task = undefined;
    await this.running;
  }

  /** Runs now (the cron tick and `dafne-node train`); a call during a run gets that run's outcome. */
  runNow(): Promise<RunOutcome> {
    if (this.running) return this.running;
    this.running = this.once().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<RunOutcome> {
    const at = new Date();
    let outcome: RunOutcome;
    try {
      const min = this.config.minSlices ?? 5;
      const n = await this.hooks.countNewSlices();
      if (n < min) outcome = { status: 'skipped', reason: `${n} new corrected slice${n === 1 ? '' : 's'}, fewer than ${min}`, at };
      else outcome = { status: 'done', at, detail: await this.hooks.run() };
    } catch (e) {
      outcome = { status: 'failed', reason: (e as Error).message, at };
    }
    this.history.push(outcome);
    if (this.history.length > 100) this.history.shift();
    this.hooks.log?.info({ learning: outcome }, `learning run ${outcome.status}`);
    return outcome;
  }
}
