import { createHmac } from "node:crypto";
import { adminTokenId } from "../../src/http/auth";
import { CSRF_HEADER, DashboardSessions, SESSION_COOKIE } from "../../src/http/dashboard-session";
import { createCoupon, request } from "../support/http";
import { ADMIN_TOKEN, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** Who the admin token logs in as: the audit trail's name for it. */
const SUBJECT = `token:${adminTokenId(ADMIN_TOKEN)}`;

/**
 * The dashboard's login is safe: a cross-site page cannot act with it, a
 * logged-out client gets nothing, and the cookie is what it must be.
 */
let env: TestEnv;
let app: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp();
});
afterAll(() => env?.dispose());

interface Login {
  readonly cookie: string;
  readonly setCookie: string;
  readonly csrfToken: string;
}

async function logIn(url = app.url, headers: Record<string, string> = {}): Promise<Login> {
  const res = await request(`${url}/dashboard/login`, { body: { token: ADMIN_TOKEN }, headers });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get("set-cookie")!;
  return { cookie: setCookie.split(";")[0]!, setCookie, csrfToken: res.body.csrfToken };
}

const couponRow = async (id: number) =>
  (await env.sql<{ totalQuantity: number; issuedCount: number }>(`SELECT "totalQuantity", "issuedCount" FROM "Coupon" WHERE id = $1`, [id]))[0]!;

/** The first event of the stream, or its refusal. */
async function firstEvent(headers: Record<string, string>): Promise<{ status: number; data?: any }> {
  const abort = new AbortController();
  const res = await fetch(`${app.url}/dashboard/events`, { headers, signal: abort.signal });
  if (res.status !== 200) return { status: res.status };
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const m = /^data: (.*)$/m.exec(text);
      if (m) return { status: 200, data: JSON.parse(m[1]!) };
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before an event: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    abort.abort();
  }
}

describe("logged out", () => {
  it("the page is only a shell, and its data, stream and actions are refused", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, name: "Secret spring sale" });
    const page = await request(`${app.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.body).toContain('id="login-form"');
    expect(page.body).not.toContain("Secret spring sale");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");

    for (const [what, res] of [
      ["session", await request(`${app.url}/dashboard/session`)],
      ["events", await request(`${app.url}/dashboard/events`)],
      ["logout", await request(`${app.url}/dashboard/logout`, { method: "POST" })],
      ["limit", await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: 1 } })],
      ["limit, forged cookie", await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: 1 }, headers: { cookie: `${SESSION_COOKIE}=j%3A%7B%22sub%22%3A%22x%22%7D` } })],
    ] as const) {
      expect([what, res.status, res.body.code]).toEqual([what, 401, "UNAUTHORIZED"]);
    }
    expect(await couponRow(id)).toEqual({ totalQuantity: 5, issuedCount: 0 });
  });

  it("a wrong token logs no one in, and sets no cookie", async () => {
    const res = await request(`${app.url}/dashboard/login`, { body: { token: `${ADMIN_TOKEN}x` } });
    expect([res.status, res.body.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a token in the URL is no login: the token is read from the body only", async () => {
    const res = await request(`${app.url}/dashboard/login?token=${ADMIN_TOKEN}`, { method: "POST" });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("another site's page cannot log anyone in", async () => {
    const res = await request(`${app.url}/dashboard/login`, { body: { token: ADMIN_TOKEN }, headers: { origin: "https://evil.example" } });
    expect([res.status, res.body.code]).toEqual([403, "CSRF_REJECTED"]);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

describe("the login cookie", () => {
  it("is HttpOnly, SameSite=Strict, for the whole site, and expires in 8 hours", async () => {
    const { setCookie } = await logIn();
    const attributes = setCookie.split(";").map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/", "max-age=28800"]));
    // Plain HTTP here: a Secure cookie would never come back.
    expect(attributes).not.toContain("secure");
  });

  it("is Secure when a trusted TLS proxy forwarded the request", async () => {
    const behindProxy = await env.startApp({ TRUST_PROXY: "loopback" });
    const { setCookie } = await logIn(behindProxy.url, { "x-forwarded-proto": "https" });
    expect(setCookie.split(";").map((a) => a.trim().toLowerCase())).toContain("secure");
    // An untrusted hop's claim changes nothing.
    const direct = await logIn(app.url, { "x-forwarded-proto": "https" });
    expect(direct.setCookie.toLowerCase()).not.toContain("secure");
    await behindProxy.stop();
  });

  it("opens the session, the stream and (with its CSRF token) the actions", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 7, name: "Watched sale" });
    const { cookie, csrfToken } = await logIn();
    const session = await request(`${app.url}/dashboard/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.body).toEqual({ subject: SUBJECT, expiresAt: expect.any(String), csrfToken });

    const event = await firstEvent({ cookie });
    expect(event.status).toBe(200);
    expect(event.data.coupons).toEqual(expect.arrayContaining([expect.objectContaining({ id, name: "Watched sale", issued: 0, remaining: 7 })]));

    const res = await request(`${app.url}/coupons/${id}/limit`, {
      method: "PUT",
      body: { totalQuantity: 9 },
      headers: { cookie, origin: app.url, [CSRF_HEADER]: csrfToken },
    });
    expect(res.status).toBe(200);
    expect((await couponRow(id)).totalQuantity).toBe(9);
  });

  it("is refused once expired, whatever the browser keeps, and when tampered with", async () => {
    const { cookie } = await logIn();
    const sessions = new DashboardSessions(ADMIN_TOKEN, 1);
    // cookie-parser's signed JSON cookie: "s:" + "j:" + JSON, then "." + HMAC-SHA256 (base64, unpadded).
    const signed = (value: object) => {
      const v = `j:${JSON.stringify(value)}`;
      const mac = createHmac("sha256", sessions.cookieSecret).update(v).digest("base64").replace(/=+$/, "");
      return `${SESSION_COOKIE}=${encodeURIComponent(`s:${v}.${mac}`)}`;
    };
    const sid = "abcdefghijklmnopqrstuvwx";
    // The premise: a cookie signed this way, still valid, is accepted.
    expect((await request(`${app.url}/dashboard/session`, { headers: { cookie: signed({ sub: SUBJECT, sid, exp: Date.now() + 60_000 }) } })).status).toBe(200);

    const expired = signed({ sub: SUBJECT, sid, exp: Date.now() - 1 });
    const tampered = cookie.replace(`%22sub%22%3A%22${encodeURIComponent(SUBJECT)}`, "%22sub%22%3A%22someone-else");
    expect(tampered).not.toBe(cookie);
    for (const c of [expired, tampered]) {
      expect((await request(`${app.url}/dashboard/session`, { headers: { cookie: c } })).status).toBe(401);
      expect((await firstEvent({ cookie: c })).status).toBe(401);
    }
  });
});

describe("a cross-site form post", () => {
  it("cannot change a sale: foreign Origin or no CSRF token is 403, and the coupon stays as it was", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 10 });
    const { cookie, csrfToken } = await logIn();
    const target = `${app.url}/coupons/${id}/limit`;
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const attempts: [string, Record<string, string>][] = [
      ["an empty form from another site", { ...form, cookie, origin: "https://evil.example" }],
      ["another site, even with the token", { ...form, cookie, origin: "https://evil.example", [CSRF_HEADER]: csrfToken }],
      ["an opaque origin", { ...form, cookie, origin: "null", [CSRF_HEADER]: csrfToken }],
      ["no Origin at all", { ...form, cookie, [CSRF_HEADER]: csrfToken }],
      ["this origin, no token", { ...form, cookie, origin: app.url }],
      ["this origin, a wrong token", { ...form, cookie, origin: app.url, [CSRF_HEADER]: `${csrfToken}x` }],
    ];
    for (const [what, headers] of attempts) {
      const res = await request(target, { method: "PUT", headers });
      expect([what, res.status, res.body.code]).toEqual([what, 403, "CSRF_REJECTED"]);
    }
    // A form that carries fields (any enctype a form can send) is refused as well.
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const res = await request(target, { method: "PUT", rawBody: "totalQuantity=1", headers: { "content-type": type, cookie, origin: "https://evil.example" } });
      expect([type, res.status >= 400 && res.status < 500]).toEqual([type, true]);
    }
    expect((await couponRow(id)).totalQuantity).toBe(10);
    // And the sale goes on.
    expect((await request(`${app.url}/coupons/${id}/issue`, { body: { userId: 1 } })).status).toBe(201);
  });
});
