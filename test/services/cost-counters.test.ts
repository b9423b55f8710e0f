import { Redis } from "ioredis";
import { createDatabase, type Database } from "../../src/db/database";
import { Metrics } from "../../src/metrics";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * The two counters the bench divides by requests: statements the pg pool
 * sent, and commands the Redis clients sent. Checked against what the
 * servers themselves saw, on a database and a redis-server of this file's own.
 */
let env: TestEnv;
let server: RedisServer;

beforeAll(async () => {
  env = await createTestEnv();
  server = await startRedisServer();
});
afterAll(async () => {
  await env?.dispose();
  await server?.stop();
});

async function counterValue(metrics: Metrics, name: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

describe("coupon_redis_commands_total", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(server.url);
  });
  afterAll(() => redis.disconnect());

  const serverCalls = async () => [...(await redis.info("commandstats")).matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);

  it("counts each command a client sent once, and INFO commandstats also counts what a script runs inside Redis", async () => {
    const metrics = new Metrics();
    const sha = await redis.script("LOAD", "redis.call('SET', KEYS[1], 1); redis.call('INCR', KEYS[1]); redis.call('GET', KEYS[1]); return redis.call('DEL', KEYS[1])") as string;
    const sent0 = await counterValue(metrics, "coupon_redis_commands_total");
    const calls0 = await serverCalls();
    await redis.get("a"); // 1 sent, 1 run
    await redis.pipeline().get("a").get("b").get("c").exec(); // 3 sent, 3 run
    await redis.evalsha(sha, 1, "k"); // 1 sent, 5 run: the script and the four commands inside it
    await redis.multi().set("m", 1).get("m").exec(); // 4 sent (MULTI, SET, GET, EXEC), 4 run
    const calls1 = await serverCalls();
    const sent1 = await counterValue(metrics, "coupon_redis_commands_total");
    // Both INFO reads were sent from here; Redis counts the first one only, the second is still running when it reports.
    expect(sent1 - sent0).toBe(9 + 2);
    expect(calls1 - calls0).toBe(13 + 1);
  });
});

describe("coupon_db_statements_total", () => {
  let db: Database;
  let statements = 0;
  beforeAll(() => {
    db = createDatabase(env.config, () => statements++);
  });
  afterAll(() => db.close());

  it("counts every statement the pool sends, plain queries, a transaction's and Prisma's alike", async () => {
    await db.pool.query("SELECT 1");
    expect(statements).toBe(1);

    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT 2");
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    expect(statements).toBe(4);

    await db.prisma.coupon.count();
    expect(statements).toBe(5);
  });

  it("is exposed on the app's /metrics next to the Redis command count", async () => {
    const app = await env.startApp();
    try {
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200); // one SELECT 1, one PING
      const text = await (await fetch(`${app.url}/metrics`)).text();
      expect(Number(/^coupon_db_statements_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^coupon_redis_commands_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await app.stop();
    }
  });
});
