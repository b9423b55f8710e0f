import { Redis } from "ioredis";
import { Client } from "pg";
import { createDatabase } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";
import { Metrics } from "../../src/metrics";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * The counters the bench divides by requests: commands the Redis clients
 * sent, statements the pg pool sent and the transactions they made. Checked
 * against what the servers themselves saw, on a redis-server and a database
 * of this file's own.
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

describe("coupon_db_statements_total and coupon_db_transactions_total", () => {
  // A database of this block's own: no other connection to it can publish counts into the comparison.
  let url: URL;
  let admin: Client;
  beforeAll(async () => {
    url = new URL(env.config.databaseUrl);
    url.pathname += "_work";
    await migrate(url.toString()); // creates it; its connections are closed, their counts published
    admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
    await admin?.end();
  });

  const pgTransactions = async () =>
    Number((await admin.query("SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1", [url.pathname.slice(1)])).rows[0].n);

  it("counts every statement the pool sends, and the transactions PostgreSQL counts for them", async () => {
    const before = await pgTransactions();
    const counted = { statements: 0, transactions: 0 };
    const db = createDatabase({ databaseUrl: url.toString(), dbPoolSize: 4, exportConnections: 1 }, { statement: () => counted.statements++, transaction: () => counted.transactions++ });
    try {
      await db.pool.query("SELECT 1");
      expect(counted).toEqual({ statements: 1, transactions: 2 }); // the connection's start-up is a transaction too

      const client = await db.pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT 2");
        await client.query("COMMIT");
        await client.query("BEGIN");
        await expect(client.query("SELECT 1/0")).rejects.toThrow(/division by zero/);
        await client.query("ROLLBACK");
      } finally {
        client.release();
      }
      expect(counted).toEqual({ statements: 7, transactions: 4 });

      await db.prisma.coupon.count();
      await db.prisma.$transaction([db.prisma.coupon.count(), db.prisma.coupon.count()]);
      await Promise.all(Array.from({ length: 8 }, () => db.pool.query("SELECT pg_sleep(0.01)"))); // opens more connections
    } finally {
      await db.close();
    }
    // A backend publishes its counts when it disconnects; give the last ones a moment to exit.
    let after = await pgTransactions();
    for (let i = 0; i < 50 && after - before < counted.transactions; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await pgTransactions();
    }
    expect(after - before).toBe(counted.transactions);
    expect(counted.statements).toBeGreaterThanOrEqual(7 + 1 + 3 + 8);
  });

  it("are exposed on the app's /metrics next to the Redis command count", async () => {
    const app = await env.startApp();
    try {
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200); // one SELECT 1, one PING
      const text = await (await fetch(`${app.url}/metrics`)).text();
      expect(Number(/^coupon_db_statements_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^coupon_db_transactions_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/^coupon_redis_commands_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await app.stop();
    }
  });
});
