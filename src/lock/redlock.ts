import type { RedisConnection } from "./redis-connection";
import type { LockKeys } from "./keys";
import { LockBase, type Attempt, type Miss } from "./lock-base";
import { quorumUnreachable, unavailable, type NodeReplies } from "./quorum";
import type { LockOptions } from "./types";

/**
 * Redlock over N independent Redis nodes (no replication between them).
 *
 * Locking: the lock is set (SET NX PX) on every node in parallel; it is held
 * once a majority, floor(N/2)+1, has it and time is left: validity = lease -
 * elapsed - drift, drift = lease * 1% + 2 ms. A failed try deletes what it
 * did take, and what nodes that did not answer may still take. When a
 * majority did not answer, acquire gives up at once (LockUnavailableError)
 * rather than retrying until waitMs. Release and extend go to every node and
 * succeed on a majority.
 * Each node answers within the client's command timeout, which should be
 * small next to the lease.
 *
 * Fencing tokens: each node keeps its own counter, and a holder's token must
 * exceed every earlier holder's, so it is chosen in two rounds:
 *
 *   1. Taking the lock on a node also reads that node's counter. With the
 *      lock on a majority M1, token = max(counters of M1) + 1.
 *   2. Every node is asked to set counter = max(counter, token). The lock is
 *      held only if a majority M2 did so *while still holding our lock* there
 *      (the check and the write are one script).
 *
 * Why that is monotonic: let A hold the lock with token a, and B take it
 * later. B's majority M1 shares a node X with A's majority M2. On X, A wrote
 * counter >= a while A's lock was on X, and B could take the lock on X only
 * once A's lock was gone from X, so B read counter >= a there: b >= a + 1.
 * A try that fails in round two never uses its token, so it cannot break the
 * order; it only raises counters, which merely makes later tokens larger.
 *
 * Writing round two to every node, not just the locked majority, repairs a
 * node that restarted empty (its counter lost) at the next acquisition. The
 * argument needs the counters of A's M2 to survive until B reads: one node
 * losing its counter at a time is fine (the restarted node is caught up by
 * the next acquisition), but a majority of counters lost before that can
 * hand out a smaller token. Running the nodes with appendonly and fsync, or
 * keeping a restarted node out until one acquisition has passed, closes that
 * gap, as Redlock's own advice on restarts does for mutual exclusion.
 */
export class Redlock extends LockBase {
  constructor(clients: readonly RedisConnection[], options: LockOptions = {}) {
    super(clients, "redlock", options);
  }

  protected async attempt(keys: LockKeys, token: string, leaseMs: number): Promise<Attempt> {
    const startedAt = Date.now();
    const taken = await this.onNodes((node) => node.lockReadFence(keys.lock, keys.fence, token, leaseMs));
    const counters = taken.flatMap((r) => (isCounter(r) ? [BigInt(r.value)] : []));
    if (counters.length < this.quorum) return this.fail(keys, token, taken, taken, busyHints(taken));

    const fence = counters.reduce((a, b) => (a > b ? a : b)) + 1n;
    const recorded = await this.onNodes((node) => node.raiseFence(keys.lock, keys.fence, token, fence.toString()));
    const owned = recorded.filter((r) => r.status === "fulfilled" && r.value === 1).length;
    if (owned < this.quorum) return this.fail(keys, token, taken, recorded, []);
    return { kind: "held", fence, startedAt };
  }

  /** Undoes what round one (`taken`) may have locked; `replies` are those of the round that fell short. */
  private async fail(
    keys: LockKeys,
    token: string,
    taken: NodeReplies<string | number>,
    replies: NodeReplies<unknown>,
    hints: number[],
  ): Promise<Miss> {
    // A node that did not answer may still take the lock for us later: a
    // stalled one runs what it was sent once it resumes, and would then hold
    // the lock for the whole lease with a token nobody has. A release sent now
    // queues behind that SET on the same connection and undoes it. It is not
    // awaited: such a node will hardly answer now, and waiting would add a
    // second command timeout to the try. Its failure is expected, so not reported.
    this.nodes.forEach((node, i) => {
      if (taken[i]!.status === "rejected") node.releaseLock(keys.lock, token, keys.channel).catch(() => undefined);
    });
    const locked = this.nodes.filter((_, i) => isCounter(taken[i]!));
    if (locked.length > 0) await this.abandon(keys, token, locked);
    // A majority that did not answer is not contention: no waiting makes it
    // answer, every retry costs up to a command timeout (stalled nodes) and
    // re-locks the reachable minority only to abandon it again, and an
    // abandon heard by the notifier wakes another waiter into the same
    // failure. So give up now instead of looping until waitMs.
    if (quorumUnreachable(replies, this.quorum)) return { kind: "unavailable", error: unavailable(keys.resource, replies), retry: false };
    return { kind: "busy", retryInMs: hints.length > 0 ? Math.min(...hints) : undefined };
  }
}

/** Round one's answer from a node where we took the lock: its fence counter. */
const isCounter = (r: PromiseSettledResult<string | number>): r is PromiseFulfilledResult<string> =>
  r.status === "fulfilled" && typeof r.value === "string";

/** The remaining leases other holders reported. */
const busyHints = (replies: NodeReplies<string | number>): number[] =>
  replies.flatMap((r) => (r.status === "fulfilled" && typeof r.value === "number" ? [r.value] : []));
