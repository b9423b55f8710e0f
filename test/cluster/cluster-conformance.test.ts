import { STRATEGIES } from "../../src/issuance/strategy-names";
import { couponKeys } from "../../src/coupon-store/keys";
import { lockKeys } from "../../src/lock/keys";
import { CROWD, expectLedgerMatchesAnswers, LIMIT } from "../support/conformance";
import { createCoupon } from "../support/http";
import { ledger, race } from "../support/race";
import { startRedisCluster, type RedisCluster } from "../support/redis-cluster";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * Every strategy runs on Redis Cluster. The conformance
 * crowd, on two app instances sharing a real three-master cluster, with the
 * coupons steered so their keys live on different masters: a script or
 * transaction that touched keys of two slots would fail here, not on one Redis.
 */
let cluster: RedisCluster;
let env: TestEnv;
let apps: TestApp[];
/** Per strategy: its coupon and the master its keys' slot belongs to. */
const coupons = new Map<string, { id: number; master: string }>();

// postgres keeps nothing in Redis; it runs here to show the cluster client does not get in its way.
const keepsRedisState = (strategy: string) => strategy !== "postgres";
const issuedKey = (id: number) => env.config.redisKeyPrefix + couponKeys(id).issued;

beforeAll(async () => {
  cluster = await startRedisCluster();
  env = await createTestEnv({ REDIS_CLUSTER_NODES: cluster.nodes.join(",") });
  apps = [await env.startApp(), await env.startApp()];
  // Strategy i on master i mod 3, so the Redis strategies between them cover every master.
  for (const [i, strategy] of STRATEGIES.entries()) coupons.set(strategy, await couponOnMaster(strategy, cluster.nodes[i % cluster.nodes.length]!));
});
afterAll(async () => {
  await env?.dispose(); // stops the apps first, so nothing talks to the cluster as it goes
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
