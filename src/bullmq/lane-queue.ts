/**
 * BullMQ objects of the lanes and where the context rides: one queue per non-default stage beside
 * the main queue, `<queue>.lane.<stage>`, and the propagated keys in the job options under
 * `opts.graylane` (the job's data stays the user's).
 * @packageDocumentation
 */

/** The job option graylane stores the propagated keys under: `job.opts.graylane = { 'x-release-stage': 'canary', ... }`. */
export const GRAY_JOB_OPTION = 'graylane';

/**
 * The name of the lane queue of `stage` for `queue`: `<queue>.lane.<stage>` (the default stage's
 * lane is `queue` itself). Queue names cannot hold `:`, and no stage does.
 */
export function laneQueueName(queue: string, stage: string, defaultStage = 'stable'): string {
  return stage === defaultStage ? queue : `${queue}.lane.${stage}`;
}
