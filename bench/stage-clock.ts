/**
 * The stage clock of the bench's probes: each `mark` records the time since the previous one (the
 * first, since the process started), so a probe's stages add up to its whole run.
 */
import { performance } from "node:perf_hooks";

/** One timed stage of a probe. */
export interface Stage {
  stage: string;
  ms: number;
}

/** A clock whose `mark(stage)` ends the current stage; `stages` lists them in order. */
export function createStageClock(): { mark: (stage: string) => void; stages: Stage[] } {
  const stages: Stage[] = [];
  let last = 0;
  const mark = (stage: string) => {
    const now = performance.now();
    stages.push({ stage, ms: now - last });
    last = now;
  };
  return { mark, stages };
}
