import type { Redis } from "ioredis";
import { Registry } from "prom-client";
import {
  createLock,
  LockArgumentError,
  LockClosedError,
  LockLostError,
  LockTimeoutError,
  SingleNodeLock,
  type DistributedLock,
} from "../../src/lock";
import { closeRedis } from "../../src/redis/client";
import { REDIS_URL } from "../support/test-env";
import {
  connect,
  contend,
  expectStrictlyIncreasing,
  keysOf,
  removeResources,
  sleep,
  uniqueResource,
  waitForAbort,
} from "./lock-fixtures";

describe("single-node lock", () => {
  const clients: Redis[] = [];
  const locks: DistributedLock[] = [];
  const resources: string[] = [];
  /** Failures the locks survived; none are expected against a healthy Redis. */
  const reported: unknown[] = [];
  let redis: Redis;
  let lock: DistributedLock;

  const resource = (name: string) => {
    const r = uniqueResource(name);
    resources.push(r);
    return r;
  };

  /** A lock on a connection of its own, as another process would have. */
  const newLock = async (options: { retryBaseMs?: number; retryCapMs?: number; registry?: Registry } = {}) => {
    const client = await connect(REDIS_URL);
    clients.push(client);
    const created = createLock([client], { ...options, onError: (err) => reported.push(err) });
    locks.push(created);
    return created;
  };

  beforeAll(async () => {
    redis = await connect(REDIS_URL);
    clients.push(redis);
    lock = await newLock();
  });

  afterAll(async () => {
    await Promise.all(locks.map((l) => l.close()));
    await removeResources(redis, resources);
    await Promise.all(clients.map(closeRedis));
    expect(reported).toEqual([]);
  });

  it("is the single-node implementation when given one client", () => {
    expect(lock).toBeInstanceOf(SingleNodeLock);
  });

  it("lets 50 contenders through one at a time", async () => {
    const many = [lock, ...(await Promise.all([1, 2, 3, 4].map(() => newLock())))];
    const { count, maxInside, fences } = await contend(many, resource("mutex"), 50);
    expect(count).toBe(50);
    expect(maxInside).toBe(1);
    expectStrictlyIncreasing(fences);
  });

  it("hands out strictly increasing fencing tokens, one after another and under contention", async () => {
    const r = resource("fence");
    const sequential: bigint[] = [];
    for (let i = 0; i < 100; i++) {
      const held = await lock.acquire(r, { waitMs: 0, leaseMs: 5_000 });
      sequential.push(held.fence);
      await lock.release(held);
    }
    expectStrictlyIncreasing(sequential);
    const contended = await contend([lock, await newLock()], r, 10, 10);
    expect(contended.fences).toHaveLength(100);
    expectStrictlyIncreasing([...sequential, ...contended.fences]);
  });

  it("lets only the owner release or extend", async () => {
    const r = resource("owner");
    const held = await lock.acquire(r, { waitMs: 0, leaseMs: 5_000 });
    const impostor = { ...held, token: "not-the-owner" };
    await expect(lock.release(impostor)).rejects.toMatchObject({ code: "LOCK_LOST" });
    await expect(lock.extend(impostor, 60_000)).rejects.toBeInstanceOf(LockLostError);
    expect(await redis.get(keysOf(r).lock)).toBe(held.token);
    await expect(lock.acquire(r, { waitMs: 0, leaseMs: 1_000 })).rejects.toBeInstanceOf(LockTimeoutError);

    const before = held.expiresAt;
    await lock.extend(held, 60_000);
    expect(held.expiresAt).toBeGreaterThan(before);
    expect(await redis.pttl(keysOf(r).lock)).toBeGreaterThan(50_000);

    await lock.release(held);
    expect(await redis.exists(keysOf(r).lock)).toBe(0);
    await expect(lock.release(held)).rejects.toBeInstanceOf(LockLostError);
    await expect(lock.extend(held, 1_000)).rejects.toBeInstanceOf(LockLostError);
  });

  it("frees the lock when the lease ends without a release", async () => {
    const r = resource("expiry");
    const first = await lock.acquire(r, { waitMs: 0, leaseMs: 200 });
    const started = performance.now();
    const second = await lock.acquire(r, { waitMs: 2_000, leaseMs: 5_000 });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(1_000);
    expect(second.fence).toBeGreaterThan(first.fence);
    await expect(lock.release(first)).rejects.toBeInstanceOf(LockLostError);
    await lock.release(second);
  });

  it("keeps a long holder's lease alive with the watchdog", async () => {
    const r = resource("watchdog");
    const other = await newLock();
    const result = await lock.using(r, { waitMs: 0, leaseMs: 300 }, async (signal) => {
      for (let t = 0; t < 9; t++) {
        await sleep(100);
        await expect(other.acquire(r, { waitMs: 0, leaseMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
      }
      expect(signal.aborted).toBe(false);
      return "done";
    });
    expect(result).toBe("done");
    expect(await redis.exists(keysOf(r).lock)).toBe(0);
  });

  it("aborts fn through its signal when the lease is lost", async () => {
    const r = resource("lost");
    let reason: unknown;
    const run = lock.using(r, { waitMs: 0, leaseMs: 600 }, async (signal) => {
      await redis.del(keysOf(r).lock);
      reason = await waitForAbort(signal, 2_000);
      signal.throwIfAborted();
    });
    await expect(run).rejects.toBeInstanceOf(LockLostError);
    expect(reason).toBeInstanceOf(LockLostError);
  });

  it("rejects with LockLostError when fn finished but the lease was lost meanwhile", async () => {
    const r = resource("lost-quietly");
    const run = lock.using(r, { waitMs: 0, leaseMs: 10_000 }, async () => {
      await redis.del(keysOf(r).lock);
      return "finished";
    });
    await expect(run).rejects.toBeInstanceOf(LockLostError);
  });

  it("passes fn's own failure on after releasing", async () => {
    const r = resource("fn-fails");
    const failure = new Error("boom");
    await expect(lock.using(r, { waitMs: 0, leaseMs: 5_000 }, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await redis.exists(keysOf(r).lock)).toBe(0);
  });

  it("wakes a waiter on release long before its backoff would", async () => {
    const r = resource("wake");
    const slow = await newLock({ retryBaseMs: 1_000, retryCapMs: 1_000 });
    for (let round = 0; round < 5; round++) {
      const held = await lock.acquire(r, { waitMs: 0, leaseMs: 10_000 });
      const waiting = slow.acquire(r, { waitMs: 5_000, leaseMs: 10_000 }).then((l) => ({ l, at: performance.now() }));
      await sleep(100);
      const releasedAt = performance.now();
      await lock.release(held);
      const { l, at } = await waiting;
      expect(at - releasedAt).toBeLessThan(50);
      await slow.release(l);
    }
  });

  it("works through a client key prefix, notifications included", async () => {
    const r = resource("prefixed");
    const prefix = `${uniqueResource("prefix")}:`;
    const prefixed = await connect(REDIS_URL, { keyPrefix: prefix });
    clients.push(prefixed);
    const slowPrefixed = createLock([prefixed], { retryBaseMs: 1_000, retryCapMs: 1_000, onError: (err) => reported.push(err) });
    const fastPrefixed = createLock([prefixed], { onError: (err) => reported.push(err) });
    locks.push(slowPrefixed, fastPrefixed);
    const held = await fastPrefixed.acquire(r, { waitMs: 0, leaseMs: 10_000 });
    expect(await redis.get(prefix + keysOf(r).lock)).toBe(held.token);
    const waiting = slowPrefixed.acquire(r, { waitMs: 5_000, leaseMs: 10_000 });
    await sleep(100);
    const releasedAt = performance.now();
    await fastPrefixed.release(held);
    const next = await waiting;
    expect(performance.now() - releasedAt).toBeLessThan(50);
    await slowPrefixed.release(next);
    await redis.del(prefix + keysOf(r).fence);
  });

  it("records metrics on the registry it is given", async () => {
    const r = resource("metrics");
    const registry = new Registry();
    const measured = await newLock({ registry });
    await newLock({ registry }); // a second instance on the same registry must not clash
    const held = await measured.acquire(r, { waitMs: 0, leaseMs: 5_000 });
    await expect(measured.acquire(r, { waitMs: 0, leaseMs: 5_000 })).rejects.toBeInstanceOf(LockTimeoutError);
    await measured.release(held);
    await expect(measured.release(held)).rejects.toBeInstanceOf(LockLostError);
    const text = await registry.metrics();
    expect(text).toContain('lock_acquisitions_total{mode="single"} 1');
    expect(text).toContain('lock_acquire_timeouts_total{mode="single",reason="busy"} 1');
    expect(text).toContain('lock_lost_leases_total{mode="single"} 1');
    expect(text).toMatch(/lock_wait_seconds_count\{mode="single"\} 1/);
    expect(text).toMatch(/lock_hold_seconds_count\{mode="single"\} 2/);
  });

  it("refuses names that would break the hash tag, and bad durations", async () => {
    await expect(lock.acquire("", { waitMs: 0, leaseMs: 1_000 })).rejects.toBeInstanceOf(LockArgumentError);
    await expect(lock.acquire("a}b", { waitMs: 0, leaseMs: 1_000 })).rejects.toMatchObject({ code: "LOCK_INVALID_ARGUMENT" });
    await expect(lock.acquire(resource("args"), { waitMs: 0, leaseMs: 0 })).rejects.toBeInstanceOf(LockArgumentError);
    await expect(lock.acquire(resource("args"), { waitMs: -1, leaseMs: 1_000 })).rejects.toBeInstanceOf(LockArgumentError);
    expect(() => createLock([])).toThrow(LockArgumentError);
  });

  it("on close, stops waiters and aborts watchdogs", async () => {
    const r = resource("close");
    const closing = await newLock();
    const held = await lock.acquire(r, { waitMs: 0, leaseMs: 10_000 });
    const waiting = closing.acquire(r, { waitMs: 10_000, leaseMs: 1_000 });
    const r2 = resource("close-using");
    let reason: unknown;
    const running = closing.using(r2, { waitMs: 0, leaseMs: 1_000 }, async (signal) => {
      reason = await waitForAbort(signal, 2_000);
    });
    await sleep(50);
    await closing.close();
    await expect(waiting).rejects.toBeInstanceOf(LockClosedError);
    await running;
    expect(reason).toBeInstanceOf(LockClosedError);
    expect(await redis.exists(keysOf(r2).lock)).toBe(0);
    await expect(closing.acquire(r, { waitMs: 0, leaseMs: 1_000 })).rejects.toMatchObject({ code: "LOCK_CLOSED" });
    await lock.release(held);
  });
});
