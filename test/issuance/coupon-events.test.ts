import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { CouponEvents } from "../../src/issuance/coupon-events";
import { closeRedis, createRedis, type RedisClient } from "../../src/redis/client";
import { startRedisCluster, type RedisCluster } from "../support/redis-cluster";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { REDIS_URL } from "../support/test-env";

/**
 * Change notices between two CouponEvents sharing one Redis (and one key
 * prefix), on real Redis: heard by the other side, health proven by beats,
 * and a broken channel reported as a gap within the stale bound.
 */
const STALE_MS = 200;
const clients: RedisClient[] = [];
const events: CouponEvents[] = [];
let probe: Redis;

beforeAll(() => {
  probe = new Redis(REDIS_URL);
});
afterAll(async () => {
  probe.disconnect();
});
afterEach(async () => {
  await Promise.all(events.splice(0).map((e) => e.close()));
  await Promise.all(clients.splice(0).map(closeRedis));
});

function client(prefix: string, more: { redisUrl?: string; redisClusterNodes?: readonly string[] } = {}): RedisClient {
  const c = createRedis({ redisUrl: REDIS_URL, redisClusterNodes: undefined, redisKeyPrefix: prefix, redisCommandTimeoutMs: 1_000, ...more });
  clients.push(c);
  return c;
}

function started(redis: RedisClient, listenUrl?: string): CouponEvents {
  const e = new CouponEvents(redis, { staleMs: STALE_MS, listenUrl });
  events.push(e);
  e.start();
  return e;
}

/** Polls `healthy` (which is what keeps beats going) until it equals `want`; returns how long that took. */
async function until(e: CouponEvents, want: boolean, withinMs = 5_000): Promise<number> {
  const start = performance.now();
  while (e.healthy !== want) {
    if (performance.now() - start > withinMs) throw new Error(`healthy stayed ${!want} for ${withinMs} ms`);
    await sleep(5);
  }
  return performance.now() - start;
}

function heard(e: CouponEvents): (number | undefined)[] {
  const seen: (number | undefined)[] = [];
  e.onChange((id) => seen.push(id));
  return seen;
}

const prefix = () => `t${randomBytes(4).toString("hex")}:`;

it("a notice published by one process reaches the other; the prefix keeps deployments apart", async () => {
  const p = prefix();
  const a = started(client(p));
  const b = started(client(p));
  const other = started(client(prefix()));
  const atB = heard(b);
  const atOther = heard(other);
  await Promise.all([until(a, true), until(b, true), until(other, true)]);
  expect(b.channel).toBe(`${p}coupons:changes`);

  await a.publish(42);
  // A Lua script publishes the same way: the channel, then the coupon id.
  await probe.publish(b.channel, "7");
  await probe.publish(b.channel, "not a coupon");
  const deadline = Date.now() + 2_000;
  while (atB.length < 2 && Date.now() < deadline) await sleep(5);
  expect(atB).toEqual([42, 7]);
  expect(atOther).toEqual([]);
});

it("Redis losing its data is a gap: a flush announces nothing, the epoch in the next beat does", async () => {
  const p = prefix();
  const redis = client(p);
  const a = started(redis);
  const seen = heard(a);
  await until(a, true);
  await sleep(100);
  expect(seen).toEqual([]);
  // What FLUSHALL does to this deployment's keys (the Redis is shared with other test files).
  await redis.del("coupons:epoch");
  const lost = performance.now();
  while (!seen.length && performance.now() - lost < 1_000) {
    void a.healthy; // keeps beats going, as a memory consulting it does
    await sleep(5);
  }
  // The next beat, a quarter of the stale bound later at most, carries the new epoch.
  expect(seen).toEqual([undefined]);
  expect(performance.now() - lost).toBeLessThan(STALE_MS);
  await until(a, true);
});

describe("a broken channel", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it("that closes is a gap: unhealthy at once, healthy again once re-subscribed", async () => {
    const p = prefix();
    const a = started(client(p), `redis://127.0.0.1:${proxy.port}`);
    const publisher = started(client(p));
    const seen = heard(a);
    await until(a, true);
    await proxy.cut();
    await until(a, false, 100);
    expect(seen).toEqual([undefined]);
    // Published while the connection is down: lost to `a`, which the gap above already told its listeners.
    await publisher.publish(4);
    await proxy.restore();
    await until(a, true, 5_000);
    await publisher.publish(5);
    const deadline = Date.now() + 2_000;
    while (!seen.includes(5) && Date.now() < deadline) await sleep(5);
    // Every failed reconnect is one more gap; never a notice from the time it was down.
    expect(seen[0]).toBeUndefined();
    expect(seen.filter((id) => id !== undefined)).toEqual([5]);
  });

  it("that stalls without closing is unhealthy within the stale bound, and its late notices still arrive in order", async () => {
    const p = prefix();
    const a = started(client(p), `redis://127.0.0.1:${proxy.port}`);
    const publisher = started(client(p));
    const seen = heard(a);
    await until(a, true);
    proxy.delayReplies(1_500);
    const stalledAt = performance.now();
    await publisher.publish(9);
    // Beats sent before the stall may still be heard; none sent after it is, so health lapses within the bound.
    await until(a, false, STALE_MS + 100);
    expect(performance.now() - stalledAt).toBeLessThanOrEqual(STALE_MS + 100);
    expect(seen).toEqual([]);
    proxy.delayReplies(0);
    await until(a, true, 5_000);
    // Nothing was lost, so no gap: the notice came before the beat that made it healthy again.
    expect(seen).toEqual([9]);
  });
});

describe("on Redis Cluster", () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("hears notices published through any node", async () => {
    const p = prefix();
    const a = started(client(p, { redisClusterNodes: cluster.nodes }));
    const b = started(client(p, { redisClusterNodes: cluster.nodes }));
    const seen = heard(b);
    await Promise.all([until(a, true), until(b, true)]);
    // Straight to every master: whichever node a script runs on, the notice is relayed to the listener's node.
    for (const [i, node] of cluster.nodes.entries()) {
      const direct = new Redis(`redis://${node}`);
      await direct.publish(b.channel, String(100 + i));
      direct.disconnect();
    }
    await a.publish(7);
    const deadline = Date.now() + 2_000;
    while (seen.length < 4 && Date.now() < deadline) await sleep(5);
    expect(seen.sort()).toEqual([100, 101, 102, 7].sort());
  });
});
