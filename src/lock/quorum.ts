import { LockLostError, LockUnavailableError } from "./errors";

export const quorumOf = (nodes: number): number => Math.floor(nodes / 2) + 1;

/**
 * Redis expires keys with 1 ms precision and clocks run at slightly
 * different rates, so a lease is trusted for a little less than its length.
 */
const driftMs = (leaseMs: number): number => leaseMs * 0.01 + 2;

/** Epoch ms until which a lease set no earlier than `startedAt` surely holds. */
export const leaseEnd = (startedAt: number, leaseMs: number): number => Math.floor(startedAt + leaseMs - driftMs(leaseMs));

export type NodeReplies<T> = PromiseSettledResult<T>[];

export const rejections = (replies: NodeReplies<unknown>): unknown[] =>
  replies.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));

/** No quorum because too many nodes failed to answer (as opposed to: someone else holds it). */
export const quorumUnreachable = (replies: NodeReplies<unknown>, quorum: number): boolean =>
  replies.length - rejections(replies).length < quorum;

export function unavailable(resource: string, replies: NodeReplies<unknown>): LockUnavailableError {
  const errors = rejections(replies);
  const answered = replies.length - errors.length;
  const detail = replies.length === 1 ? "Redis did not answer" : `quorum not reached: ${answered} of ${replies.length} nodes answered`;
  return new LockUnavailableError(resource, detail, { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) });
}

/**
 * Verdict on an owner-checked command (release, extend) sent to every node,
 * each answering 1 (done) or 0 (not the owner): done on a quorum is success;
 * "not the owner" on so many nodes that no quorum can hold the lock is a
 * lost lock; anything else is unknown, so unavailable.
 */
export function ownerVerdict(
  resource: string,
  action: string,
  replies: NodeReplies<number>,
  quorum: number,
): LockLostError | LockUnavailableError | undefined {
  const count = (value: number) => replies.filter((r) => r.status === "fulfilled" && r.value === value).length;
  if (count(1) >= quorum) return undefined;
  if (count(0) > replies.length - quorum) return new LockLostError(resource, `${action} found another owner or none`);
  return unavailable(resource, replies);
}
