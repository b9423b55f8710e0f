import { STRATEGIES, type StrategyName } from "../../src/issuance/strategy-names";
import { couponKeys } from "../../src/coupon-store/keys";
import { lockKeys } from "../../src/lock/keys";
import { CROWD, expectLedgerMatchesAnswers, LIMIT } from "../support/conformance";
import { createCoupon } from "../support/http";
import { ledger, race } from "../support/race";
import { startRedisCluster, type RedisCluster } from "../support/redis-cluster";
import { spawnApp, stopApps, type ChildApp } from "../support/child-app";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * Every strategy runs on Redis Cluster. The conformance
 * crowd, on two app instances sharing a real three-master cluster, with the
 * coupons steered so their keys live on different masters: a script or
 * transaction that touched keys of two slots would fail here, not on one Redis.
 */
let cluster: RedisCluster;
let env: TestEnv;
let apps: ChildApp[] = [];
/** Per strategy: its coupon and the master its keys' slot belongs to. */
const coupons = new Map<string, { id: number; master: string }>();

// postgres keeps nothing in Redis; it runs here to show the cluster client does not get in its way.
const keepsRedisState = (strategy: string) => strategy !== "postgres";
const issuedKey = (id: number) => env.config.redisKeyPrefix + couponKeys(id).issued;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const onCluster = { REDIS_CLUSTER_NODES: cluster.nodes.join(",") };
  env = await createTestEnv(onCluster);
  // Each instance its own process, as in production (see conformance.test.ts).
  apps = [await spawnApp(env, onCluster), await spawnApp(env, onCluster)];
  // Strategy i on master i mod 3, so the Redis strategies between them cover every master.
  for (const [i, strategy] of STRATEGIES.entries()) coupons.set(strategy, await couponOnMaster(strategy, cluster.nodes[i % cluster.nodes.length]!));
});
afterAll(async () => {
  await stopApps(apps); // first, so nothing talks to the cluster as it goes
  await env?.dispose();
  await cluster?.stop();
});

/** Creates coupons until one's keys hash to `master`; the others are left unused. */
async function couponOnMaster(strategy: string, master: string): Promise<{ id: number; master: string }> {
  for (let tries = 0; tries < 50; tries++) {
    const { id } = await createCoupon(apps[0]!.url, { totalQuantity: LIMIT, strategy });
    if ((await cluster.masterOf(issuedKey(id))) === master) return { id, master };
  }
  throw new Error(`no coupon of 50 hashed to ${master}`);
}

it("spreads the Redis strategies' coupons over every master (at least two)", () => {
  const masters = new Set(STRATEGIES.filter(keepsRedisState).map((s) => coupons.get(s)!.master));
  expect(masters.size).toBeGreaterThanOrEqual(2);
  expect([...masters].sort()).toEqual([...cluster.nodes].sort());
});

describe.each(STRATEGIES)("strategy %s on Redis Cluster", (strategy) => {
  it(`issues exactly ${LIMIT} to a crowd of ${CROWD.requests} from ${CROWD.users} users over two instances`, async () => {
    const { id, master } = coupons.get(strategy)!;
    const result = await race(
      apps.map((a) => a.url),
      id,
      CROWD,
    );
    expectLedgerMatchesAnswers(result, await ledger(env, id));
    if (!keepsRedisState(strategy)) return;
    // The keys really live on the master the slot map names, not just in theory.
    expect(await cluster.holds(master, issuedKey(id))).toBe(true);
    if (strategy === "lock") {
      // The lock's own keys (another hash tag, maybe another master) were used too: its fence counter exists.
      const fence = env.config.redisKeyPrefix + lockKeys(`coupon:${id}`, "").fence;
      expect(await cluster.holds(await cluster.masterOf(fence), fence)).toBe(true);
    }
  });
});

/**
 * Many coupons selling at once: their rows share group-commit statements
 * (redis-set, queue) while their keys live on every master. Each coupon
 * still ends with exactly its limit, and its answers match its rows.
 */
const MANY = { perMaster: 3, limit: 20, crowd: { users: 60, requests: 150, concurrency: 25 } };

/** Coupons of `strategy` until every master holds `perMaster` of them; the rest are left unused. */
async function couponsOnEveryMaster(strategy: StrategyName): Promise<number[]> {
  const byMaster = new Map<string, number[]>(cluster.nodes.map((n) => [n, []]));
  for (let tries = 0; tries < 20 * MANY.perMaster * cluster.nodes.length; tries++) {
    const { id } = await createCoupon(apps[0]!.url, { totalQuantity: MANY.limit, strategy });
    const on = byMaster.get(await cluster.masterOf(issuedKey(id)))!;
    if (on.length < MANY.perMaster) on.push(id);
    if ([...byMaster.values()].every((ids) => ids.length === MANY.perMaster)) return [...byMaster.values()].flat();
  }
  throw new Error(`could not place ${MANY.perMaster} ${strategy} coupons on each master`);
}

describe.each(STRATEGIES.filter(keepsRedisState))("many %s coupons at once on Redis Cluster", (strategy) => {
  const coupons = MANY.perMaster * 3;
  it(`issues exactly ${MANY.limit} of each of ${coupons} coupons spread over every master, ${coupons * MANY.crowd.concurrency} requests in flight`, async () => {
    const ids = await couponsOnEveryMaster(strategy);
    // One crowd per coupon, all at once, over both instances; the same users ask for several coupons.
    const results = await Promise.all(ids.map((id) => race(apps.map((a) => a.url), id, MANY.crowd)));
    for (const [i, id] of ids.entries()) expectLedgerMatchesAnswers(results[i]!, await ledger(env, id), MANY.limit);
  });
});
