/**
 * When a failed delivery is tried again (issue 17 item 3). A PACS that is down for maintenance
 * for an hour or a night must not turn its results into dead letters: the delay doubles from
 * `initialSeconds` up to the cap `maxSeconds` (a few hours), and the node keeps trying for
 * `giveUpAfterHours` (days) before the delivery becomes a dead letter. Doubling means that, until
 * the cap, the wait after the destination is back is at most about as long as the outage was.
 *
 * Pure: the queue asks for the delay of each retry (src/jobs/queue.ts `retryDelaySeconds`) and the
 * retry limit of the delivery queue is derived from the same numbers, so the schedule, the limit
 * and the documentation (docs/routing.md) cannot disagree.
 */
export interface DeliveryRetry {
  initialSeconds: number;
  maxSeconds: number;
  giveUpAfterHours: number;
}

/** ±10 %: deliveries that failed together (one outage) do not all come back in the same second. */
export const JITTER = 0.1;

/** Delay before retry number `retriesSoFar + 1`, in whole seconds (pg-boss stores an integer). */
export function retryDelaySeconds(retriesSoFar: number, r: DeliveryRetry, random: () => number = Math.random): number {
  const nominal = Math.min(r.maxSeconds, r.initialSeconds * 2 ** Math.min(retriesSoFar, 40));
  const factor = 1 + JITTER * (2 * random() - 1);
  return Math.max(1, Math.round(nominal * factor));
}

/**
 * How many retries make the node keep trying for at least `giveUpAfterHours` after the first
 * failure, even when every delay drew the shortest jitter. The attempt durations themselves
 * (up to the destination timeout each) come on top.
 */
export function retryLimitFor(r: DeliveryRetry): number {
  const horizon = r.giveUpAfterHours * 3600;
  let elapsed = 0;
  let n = 0;
  while (elapsed < horizon) {
    elapsed += retryDelaySeconds(n, r, () => 0);
    n++;
  }
  return n;
}

/** Seconds after the first failure at which each retry starts (no jitter): for docs and tests. */
export function retryTimes(r: DeliveryRetry, random: () => number = () => 0.5): number[] {
  const limit = retryLimitFor(r);
  const times: number[] = [];
  let t = 0;
  for (let n = 0; n < limit; n++) {
    t += retryDelaySeconds(n, r, random);
    times.push(t);
  }
  return times;
}
