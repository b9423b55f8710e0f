import { randomBytes } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { waitUntilReady } from "../../src/redis/client";
import { lockKeys } from "../../src/lock/keys";
import type { DistributedLock, HeldLock } from "../../src/lock";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A resource name of its own per test, so the shared Redis is not polluted. */
export const uniqueResource = (name: string) => `test:${name}:${randomBytes(4).toString("hex")}`;

/** The key names of a resource as Redis sees them (no client key prefix). */
export const keysOf = (resource: string) => lockKeys(resource, "");

/** A client that fails fast like the service's own (src/redis/client.ts), once connected. */
export async function connect(url: string, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
    connectTimeout: 1_000,
    retryStrategy: () => 20,
    ...options,
  });
  client.on("error", () => undefined);
  await waitUntilReady(client, 5_000);
  return client;
}

export async function removeResources(client: Redis, resources: readonly string[]): Promise<void> {
  const keys = resources.flatMap((r) => [keysOf(r).lock, keysOf(r).fence]);
  if (keys.length > 0) await client.del(...keys);
}

/** Resolves with the abort reason, or rejects if `signal` does not abort within `ms`. */
export function waitForAbort(signal: AbortSignal, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`signal not aborted within ${ms} ms`)), ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * `contenders` tasks, spread over `locks`, each incrementing a shared counter
 * read-modify-write with an await in between. Reports the final count, the
 * most tasks ever inside at once, and the fences in the order sections ran.
 */
export async function contend(
  locks: readonly DistributedLock[],
  resource: string,
  contenders: number,
  rounds = 1,
): Promise<{ count: number; maxInside: number; fences: bigint[] }> {
  let count = 0;
  let inside = 0;
  let maxInside = 0;
  const fences: bigint[] = [];
  const section = async (_signal: AbortSignal, lock: HeldLock) => {
    inside++;
    maxInside = Math.max(maxInside, inside);
    fences.push(lock.fence);
    const read = count;
    await sleep(1);
    count = read + 1;
    inside--;
  };
  await Promise.all(
    Array.from({ length: contenders }, async (_, i) => {
      for (let round = 0; round < rounds; round++) {
        await locks[i % locks.length]!.using(resource, { waitMs: 30_000, leaseMs: 5_000 }, section);
      }
    }),
  );
  return { count, maxInside, fences };
}

export function expectStrictlyIncreasing(values: readonly bigint[]): void {
  const offenders = values.flatMap((v, i) => (i > 0 && v <= values[i - 1]! ? [`#${i}: ${values[i - 1]} then ${v}`] : []));
  expect(offenders).toEqual([]);
}
