import type { JobQueue } from '../jobs/queue.js';

/** The job type of learning runs in /api/v1/jobs. */
export const LEARNING_JOB = 'learning';

export interface LearningJobHandle {
  id: string;
  progress(fraction: number, message?: string): Promise<void>;
  complete(output: object): Promise<void>;
  fail(message: string): Promise<void>;
}

/**
 * A learning run as a job of the durable queue, so its progress shows in /api/v1/jobs beside
 * inference and delivery (issue 6 item 6). The run executes in the process that asked for it
 * (`serve` for the nightly tick and the API, `dafne-node train` for the CLI, which shows a progress
 * bar): no worker polls this queue; the running process enqueues the job and claims it at once.
 * The caller holds the learning lock, so no other process enqueues meanwhile; an unclaimed job left
 * by a crash between send and fetch is failed here. retryLimit 0: a failed run is not repeated by
 * the queue (the next night runs again).
 */
export async function claimLearningJob(queue: JobQueue, data: { modelIds: string[]; trigger: string; actor: string }): Promise<LearningJobHandle> {
  const boss = await queue.start();
  if (!(await boss.getQueue(LEARNING_JOB))) {
    await boss.createQueue(LEARNING_JOB, { name: LEARNING_JOB, retryLimit: 0, expireInSeconds: 12 * 3600 }).catch(async (err: Error) => {
      // Another process created it meanwhile: fine.
      if (!(await boss.getQueue(LEARNING_JOB))) throw err;
    });
  }
  const id = await boss.send(LEARNING_JOB, data, { retryLimit: 0 });
  if (!id) throw new Error('the learning job could not be enqueued');
  for (let i = 0; i < 100; i++) {
    const [job] = await boss.fetch<unknown>(LEARNING_JOB, { batchSize: 1 });
    if (!job) break;
    if (job.id === id) return handle(queue, id);
    await boss.fail(LEARNING_JOB, job.id, { message: 'a learning job left behind by a stopped process' });
  }
  throw new Error('the learning job could not be claimed');
}

function handle(queue: JobQueue, id: string): LearningJobHandle {
  return {
    id,
    progress: (fraction, message) => queue.setProgress(id, fraction, message),
    complete: async (output) => {
      await queue.setProgress(id, 1, 'done');
      await (await queue.start()).complete(LEARNING_JOB, id, output);
    },
    fail: async (message) => {
      await (await queue.start()).fail(LEARNING_JOB, id, { message });
    },
  };
}
