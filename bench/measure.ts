/**
 * Timing: contenders run interleaved, round by round, after warm-up rounds, so drift of the machine
 * (other processes, CPU frequency, autovacuum) spreads over all of them instead of biasing one.
 */
import { performance } from "node:perf_hooks";

/** Median, min and max of a set of samples, in milliseconds. */
export interface Summary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number;
}

/** Summarizes samples (the median of an even count is the mean of the two middle ones). */
export function summarizeSamples(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    medianMs: median,
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
    samples: sorted.length,
  };
}

/** One contender of a comparison. `prepare` runs before every sample and is not timed. */
export interface Contender {
  name: string;
  prepare?: () => Promise<void> | void;
  /** The timed work. */
  run: () => Promise<unknown> | unknown;
  /** Runs once after each sample (untimed), e.g. to check what the sample wrote. */
  verify?: () => Promise<void> | void;
}

/** Options of {@link compareInterleaved}. */
export interface CompareOptions {
  warmup: number;
  rounds: number;
  /** Called before each round (progress on stderr). */
  onRound?: (round: number, total: number) => void;
}

/**
 * Runs every contender once per round, the order rotating from round to round, after `warmup`
 * rounds that are not recorded. Returns the samples of each contender by name.
 */
export async function compareInterleaved(
  contenders: readonly Contender[],
  options: CompareOptions,
): Promise<Map<string, number[]>> {
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  const total = options.warmup + options.rounds;
  for (let round = 0; round < total; round++) {
    options.onRound?.(round, total);
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length] as Contender;
      await contender.prepare?.();
      const started = performance.now();
      await contender.run();
      const elapsed = performance.now() - started;
      if (round === 0) await contender.verify?.();
      if (round >= options.warmup) samples.get(contender.name)?.push(elapsed);
    }
  }
  return samples;
}

/** Times one call. */
export async function timeOnce<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}
