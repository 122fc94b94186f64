import type { Logger } from 'pino';
import { runMergeRound, type RoundDeps, type RoundResult } from './merge-round.js';
import { decideProposals } from './site-validation.js';

/**
 * Decides when a model's merge window closes: `minUploads` deltas queued, or the oldest queued delta
 * older than `maxWaitSeconds`. Rounds run one at a time in this process (a merge scores several
 * candidates; running two would only compete for the CPU), and a round is never started twice.
 */
export class MergeScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Results of the rounds run so far (newest last), for logs and tests. */
  readonly results: RoundResult[] = [];
  /** Generations published on the sites' validation reports (newest last). */
  readonly published: number[] = [];

  constructor(private readonly deps: RoundDeps, private readonly log: Logger) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poke(), this.deps.config.checkIntervalSeconds * 1000);
    this.timer.unref();
    this.poke();
  }

  /** Look at the queue now (after an upload, or from the timer); coalesces calls during a round. */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick()
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err }, 'merge scheduler tick failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Runs the rounds that are due (`force`: every model with anything queued). */
  async tick(force = false, now = Date.now()): Promise<RoundResult[]> {
    const done: RoundResult[] = [];
    const { minUploads, maxWaitSeconds } = this.deps.config;
    // Proposals first: a window decided by the sites' reports moves the root the next window merges into.
    if (this.deps.proposals) this.published.push(...(await decideProposals({ ...this.deps, proposals: this.deps.proposals }, now)));
    for (const q of await this.deps.store.queueSummary()) {
      const due = force || q.count >= minUploads || now - q.oldest.getTime() >= maxWaitSeconds * 1000;
      if (!due) continue;
      // One proposal per model at a time: a window merged now would be based on a root the open
      // proposal is about to replace; its deltas wait queued (nothing is lost) until the sites decided.
      if (this.deps.proposals && (await this.deps.proposals.open(q.modelId)).length) continue;
      const result = await runMergeRound(this.deps, q.modelId);
      if (result) {
        this.results.push(result);
        done.push(result);
      }
    }
    return done;
  }

  /** Resolves when no tick runs (a report pokes one in the background; tests and the CLI wait for it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
