import { Cluster, type Redis } from "ioredis";

/** The lock works on a plain Redis connection or a Cluster; it needs nothing else of the caller. */
export type RedisConnection = Redis | Cluster;

/**
 * ioredis prefixes keys but not pub/sub channels; a channel carries the
 * client's key prefix by hand, so deployments sharing a Redis do not hear
 * each other.
 */
export const prefixedChannel = (client: RedisConnection, name: string): string => (client.options.keyPrefix ?? "") + name;

/**
 * A second connection for SUBSCRIBE, which takes a connection over. Unlike
 * request connections it queues commands until connected: a subscription is
 * set up once and waited on with its own timeout.
 */
export function duplicateForSubscribe(client: RedisConnection): RedisConnection {
  const copy =
    client instanceof Cluster
      ? client.duplicate(undefined, { enableOfflineQueue: true })
      : client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  // Trouble shows as subscriptions that fail or go quiet; each user handles that.
  copy.on("error", () => undefined);
  return copy;
}
