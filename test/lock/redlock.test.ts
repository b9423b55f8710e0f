import type { Redis } from "ioredis";
import { createLock, LockLostError, LockUnavailableError, Redlock, type DistributedLock } from "../../src/lock";
import { closeRedis, waitUntilReady } from "../../src/redis/client";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { connect, contend, expectStrictlyIncreasing, keysOf, sleep, uniqueResource, waitForAbort } from "./lock-fixtures";

describe("Redlock over three redis-server processes", () => {
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];
  let lock: DistributedLock;

  /** Kills node i; its client keeps trying to reconnect. */
  const stopNode = (i: number) => servers[i]!.stop();

  /** Starts node i again, empty, on its old port, and waits for its client to reconnect. */
  const restartNode = async (i: number) => {
    servers[i] = await startRedisServer(servers[i]!.port);
    await waitUntilReady(clients[i]!, 5_000);
  };

  const acquireRelease = async (resource: string, times: number): Promise<bigint[]> => {
    const fences: bigint[] = [];
    for (let i = 0; i < times; i++) {
      const held = await lock.acquire(resource, { waitMs: 2_000, leaseMs: 5_000 });
      fences.push(held.fence);
      await lock.release(held);
    }
    return fences;
  };

  beforeAll(async () => {
    try {
      for (let i = 0; i < 3; i++) servers.push(await startRedisServer());
      // A short command timeout, so a paused node costs little time next to the lease.
      for (const s of servers) clients.push(await connect(s.url, { commandTimeout: 300 }));
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      throw err;
    }
    // Node failures are the point here; the failures the lock survives are expected.
    lock = createLock(clients, { retryCapMs: 50, onError: () => undefined });
  });

  afterAll(async () => {
    await lock?.close();
    await Promise.all(clients.map(closeRedis));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("is the Redlock implementation when given several clients", () => {
    expect(lock).toBeInstanceOf(Redlock);
  });

  it("lets 20 contenders through one at a time, with increasing fences", async () => {
    const { count, maxInside, fences } = await contend([lock], uniqueResource("mutex"), 20);
    expect(count).toBe(20);
    expect(maxInside).toBe(1);
    expectStrictlyIncreasing(fences);
  });

  it("keeps working with one node stopped", async () => {
    const r = uniqueResource("one-down");
    await stopNode(2);
    try {
      const held = await lock.acquire(r, { waitMs: 1_000, leaseMs: 5_000 });
      await lock.extend(held, 5_000);
      await expect(lock.acquire(r, { waitMs: 100, leaseMs: 5_000 })).rejects.toMatchObject({ code: "LOCK_TIMEOUT" });
      await lock.release(held);
      expect(await clients[0]!.exists(keysOf(r).lock)).toBe(0);
    } finally {
      await restartNode(2);
    }
  });

  it("refuses with two nodes stopped", async () => {
    const r = uniqueResource("two-down");
    await stopNode(1);
    await stopNode(2);
    try {
      const refused = lock.acquire(r, { waitMs: 300, leaseMs: 5_000 });
      await expect(refused).rejects.toBeInstanceOf(LockUnavailableError);
      await expect(refused).rejects.toThrow("quorum not reached: 1 of 3 nodes answered");
      // The one node that answered was given the lock back at every failed try.
      expect(await clients[0]!.exists(keysOf(r).lock)).toBe(0);
    } finally {
      await restartNode(1);
      await restartNode(2);
    }
  });

  it("fails fast, not after waitMs, with a majority of nodes stopped", async () => {
    const r = uniqueResource("majority-down");
    await stopNode(1);
    await stopNode(2);
    try {
      // An unreachable quorum is not contention: waiting the 3 s out cannot help.
      const times = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const started = performance.now();
          await expect(lock.acquire(r, { waitMs: 3_000, leaseMs: 2_000 })).rejects.toBeInstanceOf(LockUnavailableError);
          return performance.now() - started;
        }),
      );
      expect(Math.max(...times)).toBeLessThan(1_000);
      expect(await clients[0]!.exists(keysOf(r).lock)).toBe(0);
    } finally {
      await restartNode(1);
      await restartNode(2);
    }
  });

  it("fails fast with a majority of nodes stalled, and leaves no lock behind on them", async () => {
    const r = uniqueResource("majority-stalled");
    servers[1]!.kill("SIGSTOP");
    servers[2]!.kill("SIGSTOP");
    try {
      const started = performance.now();
      // The lease is longer than anything below waits: a lock left on the stalled nodes would show.
      await expect(lock.acquire(r, { waitMs: 3_000, leaseMs: 10_000 })).rejects.toBeInstanceOf(LockUnavailableError);
      // About one command timeout (300 ms), not waitMs.
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      servers[1]!.kill("SIGCONT");
      servers[2]!.kill("SIGCONT");
    }
    // The stalled nodes run the SETs they were sent once they resume; the
    // releases sent after them must run too, or the lock stays blocked for the lease.
    const held = await lock.acquire(r, { waitMs: 1_000, leaseMs: 5_000 });
    await lock.release(held);
    for (const c of clients) expect(await c.exists(keysOf(r).lock)).toBe(0);
  });

  it("keeps fences strictly increasing while a node is stopped and restarted empty", async () => {
    const r = uniqueResource("fence-restart");
    const fences = await acquireRelease(r, 5);
    await stopNode(2);
    fences.push(...(await acquireRelease(r, 5)));
    await restartNode(2); // its counter is gone
    expect(await clients[2]!.get(keysOf(r).fence)).toBeNull();
    fences.push(...(await acquireRelease(r, 5)));
    // Now the restarted node must carry the count with one other node.
    await stopNode(0);
    try {
      fences.push(...(await acquireRelease(r, 5)));
    } finally {
      await restartNode(0);
    }
    fences.push(...(await acquireRelease(r, 5)));
    expect(fences).toHaveLength(25);
    expectStrictlyIncreasing(fences);
  });

  it("only slows down while a node hangs", async () => {
    const r = uniqueResource("paused");
    servers[1]!.kill("SIGSTOP");
    try {
      const fences = await acquireRelease(r, 3);
      expectStrictlyIncreasing(fences);
    } finally {
      servers[1]!.kill("SIGCONT");
    }
  });

  it("aborts fn when a quorum stops answering and the lease runs out", async () => {
    const r = uniqueResource("quorum-lost");
    let reason: unknown;
    const run = lock.using(r, { waitMs: 0, leaseMs: 900 }, async (signal) => {
      servers[1]!.kill("SIGSTOP");
      servers[2]!.kill("SIGSTOP");
      try {
        reason = await waitForAbort(signal, 3_000);
      } finally {
        servers[1]!.kill("SIGCONT");
        servers[2]!.kill("SIGCONT");
      }
    });
    await expect(run).rejects.toBeInstanceOf(LockLostError);
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).cause).toBeInstanceOf(LockUnavailableError);
    // The paused nodes answer again once continued.
    await sleep(50);
    const held = await lock.acquire(r, { waitMs: 2_000, leaseMs: 1_000 });
    await lock.release(held);
  });
});
