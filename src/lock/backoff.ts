/**
 * Exponential backoff with full jitter (a random sleep below the capped
 * exponential step), so waiters that collided once spread out instead of
 * colliding again in lockstep.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}
