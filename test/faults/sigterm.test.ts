import { spawnApp } from "../support/child-app";
import { createCoupon } from "../support/http";
import { ledger, race, toldIssued } from "../support/race";
import { createTestEnv, type TestEnv } from "../support/test-env";

/** SIGTERM under load: requests in flight complete, no 5xx, then exit 0. */
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env?.dispose());

it.each(["redis-set", "queue"])("%s: SIGTERM while 200 requests are in flight", async (strategy) => {
  const app = await spawnApp(env);
  try {
    const { id } = await createCoupon(app.url, { totalQuantity: 500, strategy });
    const crowd = race([app.url], id, { users: 3_000, requests: 3_000, concurrency: 200, settle: false });
    await new Promise((r) => setTimeout(r, 300));
    app.kill("SIGTERM");
    const [result, exit] = await Promise.all([crowd, app.exited()]);
    expect(exit).toBe(0);
    expect(Object.keys(result.statusCounts).filter((s) => Number(s) >= 500)).toEqual([]);
    expect(result.statusCounts[201] ?? result.statusCounts[202]).toBeGreaterThan(0);
    // Whatever was answered matches the ledger: every 201 has its row, and the
    // queue's batches in hand were finished or handed back, not dropped.
    const rows = await ledger(env, id);
    for (const u of toldIssued(result)) expect(rows.userIds).toContain(u);
    expect(rows.issuedCount).toBe(rows.userIds.length);
  } finally {
    app.kill("SIGKILL");
  }
});
