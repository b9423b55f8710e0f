import { openApiDocument } from "../../src/http/openapi";
import { createCoupon, request } from "../support/http";
import { ADMIN_TOKEN, createTestEnv, SHOPPER_MODES, type TestApp, type TestEnv } from "../support/test-env";
import { testTokens } from "../support/tokens";

/** Keeps GET /openapi.json true: documented operations exist and answer only documented statuses, in either shopper mode. */
const samples: Record<string, unknown> = {
  "POST /coupons": { name: "doc", totalQuantity: 1 },
  "PATCH /coupons/{couponId}": { name: "renamed", description: "Edited before the sale" },
  "PUT /coupons/{couponId}/limit": { totalQuantity: 2 },
  "POST /coupons/{couponId}/issue": { userId: 1 },
  "POST /dashboard/login": { token: ADMIN_TOKEN },
};

type Operation = { responses: Record<string, unknown>; security?: Record<string, unknown>[] };
const needs = (op: Operation, scheme: string) => op.security?.some((s) => scheme in s) ?? false;

describe.each(SHOPPER_MODES)("SHOPPER_AUTH=%s", (mode, overrides) => {
  let env: TestEnv;
  let app: TestApp;

  beforeAll(async () => {
    env = await createTestEnv(overrides);
    app = await env.startApp();
  });
  afterAll(() => env?.dispose());

  it("is served at /openapi.json", async () => {
    const res = await request(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  /** Operations that need a coupon of their own: only a scheduled (or paused) coupon can be edited. */
  const ownCoupon: Record<string, () => Promise<{ id: number }>> = {
    "PATCH /coupons/{couponId}": () => createCoupon(app.url, { totalQuantity: 1, startsAt: "2099-01-01T00:00:00Z" }),
  };

  it("every documented operation exists and answers documented statuses, with good and bad input", async () => {
    const coupon = await createCoupon(app.url, { totalQuantity: 5 });
    for (const [path, ops] of Object.entries(openApiDocument.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, Operation>)) {
        const documented = Object.keys(op.responses);
        const key = `${method.toUpperCase()} ${path}`;
        const { id } = (await ownCoupon[key]?.()) ?? coupon;
        // Operator routes get the admin token; shopper routes, in jwt mode, user 1's token.
        const operator = needs(op, "bearer");
        const headers = needs(op, "shopperJwt") && mode === "jwt" ? await testTokens.headers("1") : {};
        const send = (couponId: string) =>
          request(app.url + path.replace("{couponId}", couponId).replace("{userId}", "1"), { method: method.toUpperCase(), body: samples[key], operator, headers });
        const good = await send(String(id));
        expect([key, documented.includes(String(good.status))]).toEqual([key, true]);
        // Without a token there is no "me": the one documented non-2xx of a good request.
        const expectSuccess = !(mode === "none" && path === "/me/coupons");
        expect([key, good.status < 300]).toEqual([key, expectSuccess]);
        if (path.includes("{couponId}")) {
          const bad = await send("x");
          expect([key, bad.status, documented.includes(String(bad.status))]).toEqual([key, bad.status, true]);
        }
      }
    }
  });

  it("documents every route the app serves", () => {
    const router = (app.running.server.listeners("request")[0] as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
    const served = router.stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m} ${l.route!.path.replace(/:(\w+)/g, "{$1}")}`));
    const documented = Object.entries(openApiDocument.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(served.sort()).toEqual(documented.sort());
  });
});
