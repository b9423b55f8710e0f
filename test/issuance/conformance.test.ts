import { STRATEGIES } from "../../src/issuance/strategy-names";
import { CROWD, expectLedgerMatchesAnswers, LIMIT } from "../support/conformance";
import { createCoupon } from "../support/http";
import { ledger, race, toldIssued } from "../support/race";
import { spawnApp, stopApps, type ChildApp } from "../support/child-app";
import { createTestEnv, SHOPPER_MODES, type TestEnv } from "../support/test-env";
import { tokensFor } from "../support/tokens";

/**
 * The strategy conformance suite: the same crowd against every strategy, on
 * one app instance and on two sharing Redis and PostgreSQL, with shoppers
 * naming themselves (SHOPPER_AUTH=none) and with every request carrying a
 * verified token (jwt). The ledger in PostgreSQL is the judge: exactly N
 * rows, one per user, and the answers match the rows (docs/guarantees.md,
 * promises 1–4). Each instance is its own process, as in production, so
 * neither shares an event loop with the other or with the crowd.
 */
describe.each(SHOPPER_MODES)("SHOPPER_AUTH=%s", (mode, overrides) => {
  let env: TestEnv;
  let apps: ChildApp[] = [];
  const tokens = tokensFor(mode);

  beforeAll(async () => {
    env = await createTestEnv(overrides);
    apps = [await spawnApp(env, overrides), await spawnApp(env, overrides)];
  });
  afterAll(async () => {
    await stopApps(apps);
    await env?.dispose();
  });

  describe.each(STRATEGIES)("strategy %s", (strategy) => {
    it(`issues exactly ${LIMIT} to a crowd of ${CROWD.requests} from ${CROWD.users} users on one instance`, async () => {
      const { id } = await createCoupon(apps[0]!.url, { totalQuantity: LIMIT, strategy });
      const result = await race([apps[0]!.url], id, { ...CROWD, tokens });
      expectLedgerMatchesAnswers(result, await ledger(env, id));
    });

    it(`issues exactly ${LIMIT} when two instances share Redis and PostgreSQL`, async () => {
      const { id } = await createCoupon(apps[0]!.url, { totalQuantity: LIMIT, strategy });
      const result = await race(
        apps.map((a) => a.url),
        id,
        { ...CROWD, tokens },
      );
      expectLedgerMatchesAnswers(result, await ledger(env, id));
    });

    it("issues everyone when demand is below the limit (no under-issue)", async () => {
      const { id } = await createCoupon(apps[0]!.url, { totalQuantity: 500, strategy });
      const result = await race(
        apps.map((a) => a.url),
        id,
        { users: 300, requests: 900, concurrency: 200, tokens },
      );
      const rows = await ledger(env, id);
      expect(rows.userIds).toHaveLength(300);
      expect(rows.issuedCount).toBe(300);
      expect(toldIssued(result).size).toBe(300);
    });
  });
});
