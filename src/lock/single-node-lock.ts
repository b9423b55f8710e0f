import type { RedisConnection } from "./redis-connection";
import type { LockKeys } from "./keys";
import { LockBase, type Attempt } from "./lock-base";
import { unavailable } from "./quorum";
import type { LockOptions } from "./types";

/**
 * A lock on one Redis (or one Redis Cluster). Taking the lock and drawing
 * the next fencing token (INCR of a counter that never expires) is one Lua
 * script, so every holder gets a token and tokens follow the order in which
 * holders got the lock.
 */
export class SingleNodeLock extends LockBase {
  constructor(client: RedisConnection, options: LockOptions = {}) {
    super([client], "single", options);
  }

  protected async attempt(keys: LockKeys, token: string, leaseMs: number): Promise<Attempt> {
    const startedAt = Date.now();
    const replies = await this.onNodes((node) => node.acquireLock(keys.lock, keys.fence, token, leaseMs));
    const reply = replies[0]!;
    // Retried until waitMs, as before: a restart or failover of the one
    // Redis may be over by then, and a refused try costs next to nothing.
    if (reply.status === "rejected") return { kind: "unavailable", error: unavailable(keys.resource, replies), retry: true };
    return typeof reply.value === "number"
      ? { kind: "busy", retryInMs: reply.value }
      : { kind: "held", fence: BigInt(reply.value), startedAt };
  }
}
