import type { RetryPolicy } from "../format/definition-schema.js";

/** The delay before retry `attempt + 1`: `backoffMs * multiplier^(attempt-1)`, capped by `maxDelayMs`, no jitter. */
export function computeRetryDelayMs(policy: RetryPolicy, attempt: number): number {
  const raw = policy.backoffMs * (policy.backoffMultiplier ?? 2) ** (attempt - 1);
  return Math.floor(policy.maxDelayMs === undefined ? raw : Math.min(raw, policy.maxDelayMs));
}

/** True when a failed attempt is retried: attempts left, and `retryOn` (when not empty) lists the category. */
export function shouldRetry(policy: RetryPolicy | undefined, attempt: number, category: string): boolean {
  if (!policy || attempt >= policy.maxAttempts) return false;
  return !policy.retryOn?.length || policy.retryOn.includes(category);
}
