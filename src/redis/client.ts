import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config";

export type RedisClient = Redis | Cluster;

/**
 * Fail fast instead of queueing: while Redis is unreachable a command errors
 * at once (no offline queue, no per-request retries), and a command written
 * just as the server died, or to a stalled one, times out; so callers answer
 * 503 within a second instead of hanging. Nothing we send blocks, and a
 * healthy Redis answers in well under a millisecond.
 *
 * Admissions are bounded by `answerWithin` at REDIS_COMMAND_TIMEOUT_MS
 * (500 ms). ioredis's own timeout, for every other command, is twice that:
 * its timer cannot tell a late reply from one this process was too busy to
 * read yet, and were it as short it would fire alongside answerWithin's and
 * cut off a reply that answerWithin, which reads first, would have taken.
 */
const fastFail = (answerWithinMs: number): RedisOptions => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 2 * answerWithinMs,
  connectTimeout: 1_000,
  enableAutoPipelining: true,
  retryStrategy: (times) => Math.min(50 * 2 ** times, 1_000),
});

export function createRedis(
  config: Pick<Config, "redisUrl" | "redisClusterNodes" | "redisKeyPrefix" | "redisCommandTimeoutMs">,
  name = "coupons",
): RedisClient {
  const failFast = fastFail(config.redisCommandTimeoutMs);
  const common = { connectionName: name, keyPrefix: config.redisKeyPrefix || undefined };
  const client = config.redisClusterNodes
    ? new Cluster(
        config.redisClusterNodes.map((hp) => {
          const [host, port] = hp.split(":");
          return { host, port: Number(port) };
        }),
        {
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          maxRedirections: 16,
          clusterRetryStrategy: (times) => Math.min(50 * 2 ** times, 1_000),
          keyPrefix: common.keyPrefix,
          redisOptions: { ...failFast, connectionName: name },
        },
      )
    : new Redis(config.redisUrl, { ...failFast, ...common });
  // ioredis reports connection trouble through events; without a listener
  // Node would treat them as uncaught. Readiness and 503s cover the effect.
  client.on("error", () => undefined);
  return client;
}

/** Resolves once the client is connected, or rejects after `timeoutMs`. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off("ready", onReady);
    };
    client.on("ready", onReady);
  });
}

/** Closes the connection, waiting for replies in flight but never hanging. */
export async function closeRedis(client: RedisClient): Promise<void> {
  await Promise.race([client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
  client.disconnect();
}

/**
 * A command's answer, or a rejection once `ms` have passed. With
 * auto-pipelining a command can wait behind a batch that is itself waiting
 * on a stalled server, so the command timeout alone does not bound a
 * request's wait; this does. The command may still run later: callers treat
 * this rejection as "outcome unknown", never as "did not happen".
 *
 * A process busy past the deadline (a CPU-starved host, a long GC) runs its
 * timers before it reads its sockets, so a reply Redis sent in time may be
 * waiting unread when the timer fires. The timer therefore gives up only
 * after one more turn of the event loop (setImmediate runs after the socket
 * reads), and a reply that was already here wins.
 */
export function answerWithin<T>(command: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let turn: NodeJS.Immediate | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      turn = setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`)));
    }, ms);
  });
  return Promise.race([command, deadline]).finally(() => {
    clearTimeout(timer);
    clearImmediate(turn);
  });
}
