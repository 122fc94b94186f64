/**
 * A FIFO async mutex. The embedded database has one session; every TypeORM query runner must hold
 * this lock for its whole life, or one runner's ROLLBACK would discard another's statements
 * (the data-loss trap recorded in notes/engine.md).
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  get queued(): number {
    return this.waiting;
  }

  /** Resolves with a release function once the lock is held; rejects after `timeoutMs`. */
  acquire(timeoutMs = 60_000): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    this.waiting++;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.waiting--;
        // Keep the FIFO intact: when our turn comes, pass the lock on at once.
        previous.then(() => release());
        reject(new Error(`database lock not acquired within ${timeoutMs} ms (a query runner was not released, or a nested query bypassed the transaction manager)`));
      }, timeoutMs);
      timer.unref();
      previous.then(() => {
        if (timedOut) return;
        clearTimeout(timer);
        this.waiting--;
        let released = false;
        resolve(() => {
          if (!released) {
            released = true;
            release();
          }
        });
      });
    });
  }
}
