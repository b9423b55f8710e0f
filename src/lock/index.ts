import type { RedisConnection } from "./redis-connection";
import { LockArgumentError } from "./errors";
import { Redlock } from "./redlock";
import { SingleNodeLock } from "./single-node-lock";
import type { DistributedLock, LockOptions } from "./types";

export * from "./errors";
export type { AcquireOptions, DistributedLock, HeldLock, LockOptions } from "./types";
export { Redlock } from "./redlock";
export { SingleNodeLock } from "./single-node-lock";
export { ChannelSubscriber, type PubSubConnection, type Subscription } from "./channel-subscriber";
export { duplicateForSubscribe, prefixedChannel, type RedisConnection } from "./redis-connection";
export { lockKeys } from "./keys";

/**
 * One client: a lock on that Redis (or Cluster). Several: Redlock across
 * them, which must be independent nodes, preferably an odd number.
 */
export function createLock(clients: readonly RedisConnection[], options: LockOptions = {}): DistributedLock {
  const [first, ...rest] = clients;
  if (!first) throw new LockArgumentError("createLock needs at least one Redis client");
  return rest.length === 0 ? new SingleNodeLock(first, options) : new Redlock(clients, options);
}
