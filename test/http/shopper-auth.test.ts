import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from "jose";
import { Redis } from "ioredis";
import { mintToken } from "../../scripts/support/shopper-tokens";
import { createTokenVerifier } from "../../src/http/token-verifier";
import { createCoupon, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { createTestEnv, JWT_MODE, REDIS_URL, SHOPPER_JWT_SECRET, type TestApp, type TestEnv } from "../support/test-env";

/**
 * SHOPPER_AUTH=jwt: the shopper is the verified token's subject. Every
 * hostile token gets its documented 401 (or 403) problem and changes
 * nothing in PostgreSQL or Redis; the same request with a good token does.
 */
const ISSUER = "https://id.example.test";
const AUDIENCE = "coupon-api";
const signing = { secret: SHOPPER_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE };

let env: TestEnv;
let app: TestApp;
let redis: Redis;
let couponId: number;

beforeAll(async () => {
  env = await createTestEnv({ ...JWT_MODE, SHOPPER_JWT_ISSUER: ISSUER, SHOPPER_JWT_AUDIENCE: AUDIENCE });
  app = await env.startApp();
  redis = new Redis(REDIS_URL);
  couponId = (await createCoupon(app.url, { totalQuantity: 50 })).id;
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

const now = () => Math.floor(Date.now() / 1000);
/** A cursor as the service spells one (see src/http/cursor.ts), to forge bad ones. */
const cursor = (raw: string) => Buffer.from(raw).toString("base64url");
const secret = (s = SHOPPER_JWT_SECRET) => new TextEncoder().encode(s);

/** An HS256 token with the service's secret, iss and aud, for user 5, valid for an hour, unless `claims` says otherwise. */
function token(claims: JWTPayload = {}, opts: { alg?: string; key?: Uint8Array | CryptoKey } = {}): Promise<string> {
  const payload = { sub: "5", iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k];
  return new SignJWT(payload).setProtectedHeader({ alg: opts.alg ?? "HS256" }).sign(opts.key ?? secret());
}

const issue = (auth: string | undefined, body: unknown = { userId: "5" }, path = `/coupons/${couponId}/issue`) =>
  request(`${app.url}${path}`, { body, headers: auth === undefined ? {} : { authorization: auth } });

type Case = [name: string, send: () => Promise<Awaited<ReturnType<typeof issue>>>, status: number, code: string];

const cases = (): Case[] => [
  ["alg none", async () => issue(`Bearer ${new UnsecuredJWT({ sub: "5" }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime("1h").encode()}`), 401, "TOKEN_INVALID"],
  ["wrong key", async () => issue(`Bearer ${await token({}, { key: secret("another-secret-of-at-least-32-characters") })}`), 401, "TOKEN_INVALID"],
  ["wrong algorithm (HS512 with the right secret)", async () => issue(`Bearer ${await token({}, { alg: "HS512" })}`), 401, "TOKEN_INVALID"],
  ["wrong algorithm (RS256)", async () => issue(`Bearer ${await token({}, { alg: "RS256", key: (await generateKeyPair("RS256")).privateKey })}`), 401, "TOKEN_INVALID"],
  ["signature cut off", async () => issue(`Bearer ${(await token()).replace(/\.[^.]+$/, ".")}`), 401, "TOKEN_INVALID"],
  ["payload swapped (sub 6, signature of sub 5)", async () => {
    const [h, , s] = (await token()).split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "6", iss: ISSUER, aud: AUDIENCE, exp: now() + 3600 })).toString("base64url");
    return issue(`Bearer ${h}.${forged}.${s}`, { userId: "6" });
  }, 401, "TOKEN_INVALID"],
  ["not a JWT", async () => issue("Bearer abc"), 401, "TOKEN_INVALID"],
  ["expired beyond the clock skew", async () => issue(`Bearer ${await token({ exp: now() - 60 })}`), 401, "TOKEN_EXPIRED"],
  ["not yet valid beyond the clock skew", async () => issue(`Bearer ${await token({ nbf: now() + 120 })}`), 401, "TOKEN_NOT_YET_VALID"],
  ["no exp", async () => issue(`Bearer ${await token({ exp: undefined })}`), 401, "TOKEN_CLAIM_INVALID"],
  ["wrong issuer", async () => issue(`Bearer ${await token({ iss: "https://evil.example" })}`), 401, "TOKEN_CLAIM_INVALID"],
  ["no issuer", async () => issue(`Bearer ${await token({ iss: undefined })}`), 401, "TOKEN_CLAIM_INVALID"],
  ["wrong audience", async () => issue(`Bearer ${await token({ aud: "another-api" })}`), 401, "TOKEN_CLAIM_INVALID"],
  ["sub missing", async () => issue(`Bearer ${await token({ sub: undefined })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["sub zero", async () => issue(`Bearer ${await token({ sub: "0" })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["sub negative", async () => issue(`Bearer ${await token({ sub: "-5" })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["sub 2^64", async () => issue(`Bearer ${await token({ sub: "18446744073709551616" })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["sub 2^63 (one past int8)", async () => issue(`Bearer ${await token({ sub: "9223372036854775808" })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["sub non-numeric", async () => issue(`Bearer ${await token({ sub: "alice" })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["sub a JSON number", async () => issue(`Bearer ${await token({ sub: 5 as unknown as string })}`, {}), 401, "TOKEN_SUBJECT_INVALID"],
  ["token for user 5, body user 6", async () => issue(`Bearer ${await token()}`, { userId: 6 }), 403, "USER_MISMATCH"],
  ["token for user 5, body user 6 as a string", async () => issue(`Bearer ${await token()}`, { userId: "6" }), 403, "USER_MISMATCH"],
  ["header without Bearer", async () => issue(await token()), 401, "TOKEN_MISSING"],
  ["Basic scheme", async () => issue("Basic dXNlcjpwYXNz"), 401, "TOKEN_MISSING"],
  ["no Authorization header", async () => issue(undefined), 401, "TOKEN_MISSING"],
  ["Bearer with no token", async () => issue("Bearer "), 401, "TOKEN_MISSING"],
  ["a 20 KB token", async () => issue(`Bearer ${"a".repeat(10_000)}.${"b".repeat(10_000)}.c`), 401, "TOKEN_TOO_LARGE"],
  ["another user's status", async () => request(`${app.url}/coupons/${couponId}/issuances/6`, { headers: { authorization: `Bearer ${await token()}` } }), 403, "USER_MISMATCH"],
  ["a status without a token", async () => request(`${app.url}/coupons/${couponId}/issuances/5`), 401, "TOKEN_MISSING"],
  ["my coupons with an expired token", async () => request(`${app.url}/me/coupons`, { headers: { authorization: `Bearer ${await token({ exp: now() - 60 })}` } }), 401, "TOKEN_EXPIRED"],
  ["an operator route with a shopper's token", async () => request(`${app.url}/coupons`, { body: { name: "x", totalQuantity: 1 }, headers: { authorization: `Bearer ${await token()}` } }), 403, "INSUFFICIENT_SCOPE"],
];

it("refuses every hostile token with its documented problem, and nothing changes", async () => {
  // Load the coupon's Redis state first (user 1), so that "nothing changed" covers Redis too.
  expect((await issue(`Bearer ${await token({ sub: "1" })}`, {})).status).toBe(201);
  const before = await storeSnapshot(env, redis);
  for (const [name, send, status, code] of cases()) {
    const res = await send();
    const where = `${name}: ${res.status} ${JSON.stringify(res.body)}`;
    expect([where, res.status, res.body.code]).toEqual([where, status, code]);
    expect([where, res.headers.get("content-type")]).toEqual([where, "application/problem+json; charset=utf-8"]);
    if (status === 401) expect([where, res.headers.get("www-authenticate")]).toEqual([where, 'Bearer realm="coupons"']);
  }
  expect(await storeSnapshot(env, redis)).toEqual(before);

  // The same request with a good token does change the ledger: the snapshot would have seen it.
  const good = await issue(`Bearer ${await token()}`);
  expect(good.status).toBe(201);
  expect(good.body).toMatchObject({ userId: "5", status: "ISSUED" });
  expect(await storeSnapshot(env, redis)).not.toEqual(before);
});

it("takes the user from the token: no body needed, a matching one accepted, leading zeros the same user", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: 5 });
  const path = `/coupons/${id}/issue`;
  const bodyless = await request(`${app.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${await token({ sub: "21" })}` } });
  expect(bodyless.body).toMatchObject({ userId: "21", status: "ISSUED" });
  expect((await issue(`Bearer ${await token({ sub: "22" })}`, { userId: 22 }, path)).status).toBe(201);
  expect((await issue(`Bearer ${await token({ sub: "0023" })}`, { userId: "23" }, path)).body).toMatchObject({ userId: "23" });
  // ...and reads only their own status.
  const mine = await request(`${app.url}/coupons/${id}/issuances/21`, { headers: { authorization: `Bearer ${await token({ sub: "21" })}` } });
  expect(mine.body).toMatchObject({ status: "ISSUED" });
});

it("allows a small clock skew on exp and nbf", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: 5 });
  const path = `/coupons/${id}/issue`;
  expect((await issue(`Bearer ${await token({ sub: "31", exp: now() - 10 })}`, {}, path)).status).toBe(201);
  expect((await issue(`Bearer ${await token({ sub: "32", nbf: now() + 10 })}`, {}, path)).status).toBe(201);
});

it("accepts what npm run token mints", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: 5 });
  const minted = await mintToken(signing, { sub: "41", ttlSeconds: 60 });
  expect((await issue(`Bearer ${minted}`, {}, `/coupons/${id}/issue`)).status).toBe(201);
});

describe("GET /me/coupons", () => {
  it("lists the caller's coupons newest first, a page at a time, and nobody else's", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createCoupon(app.url, { totalQuantity: 5, name: `mine ${i}` })).id);
    const auth = { authorization: `Bearer ${await token({ sub: "77" })}` };
    for (const id of ids) expect((await issue(auth.authorization, {}, `/coupons/${id}/issue`)).status).toBe(201);
    expect((await issue(`Bearer ${await token({ sub: "78" })}`, {}, `/coupons/${ids[0]}/issue`)).status).toBe(201);

    const first = await request(`${app.url}/me/coupons?limit=2`, { headers: auth });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ userId: "77", items: [{ couponId: ids[2], name: "mine 2" }, { couponId: ids[1] }] });
    expect(first.body.items).toHaveLength(2);
    expect(typeof first.body.items[0].issuedAt).toBe("string");
    const second = await request(`${app.url}/me/coupons?limit=2&cursor=${first.body.nextCursor}`, { headers: auth });
    expect(second.body).toEqual({ userId: "77", items: [expect.objectContaining({ couponId: ids[0] })], nextCursor: null });
    const all = await request(`${app.url}/me/coupons`, { headers: auth });
    expect(all.body.items.map((c: { couponId: number }) => c.couponId)).toEqual([...ids].reverse());
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=abc", "limit"],
    ["cursor=5", "cursor"],
    [`cursor=${cursor("h0")}`, "cursor"],
    [`cursor=${cursor("h9223372036854775808")}`, "cursor"],
    [`cursor=${cursor("a5")}`, "cursor"],
    ["limit=1&limit=2", "limit"],
    ["page=2", "page"],
  ])("refuses a bad query %s with 400", async (query, path) => {
    const res = await request(`${app.url}/me/coupons?${query}`, { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("INVALID_QUERY");
    expect(res.body.errors[0].path).toBe(path);
  });
});

/** Public-key and JWKS modes: the right key verifies, anything else is TOKEN_INVALID, a missing JWKS is 503. */
describe("asymmetric keys", () => {
  // The env's apps check ISSUER and AUDIENCE, whatever the key source.
  const rsToken = (key: CryptoKey, claims: JWTPayload = {}, header: Record<string, string> = {}) =>
    new SignJWT({ sub: "9", iss: ISSUER, aud: AUDIENCE, ...claims }).setProtectedHeader({ alg: "RS256", ...header }).setExpirationTime("5m").sign(key);

  it("SHOPPER_JWT_PUBLIC_KEY (RS256) refuses an HS256 token keyed with the public key itself", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const pem = await exportSPKI(publicKey);
    const other = await env.startApp({ SHOPPER_JWT_SECRET: "", SHOPPER_JWT_PUBLIC_KEY: pem });
    const { id } = await createCoupon(other.url, { totalQuantity: 5 });
    const send = (t: string) => request(`${other.url}/coupons/${id}/issue`, { body: {}, headers: { authorization: `Bearer ${t}` } });
    const before = await storeSnapshot(env, redis);
    const confused = await new SignJWT({ sub: "9" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode(pem));
    expect((await send(confused)).body.code).toBe("TOKEN_INVALID");
    const es = await generateKeyPair("ES256");
    const wrongCurve = await new SignJWT({ sub: "9" }).setProtectedHeader({ alg: "ES256" }).setExpirationTime("5m").sign(es.privateKey);
    expect((await send(wrongCurve)).body.code).toBe("TOKEN_INVALID");
    expect(await storeSnapshot(env, redis)).toEqual(before);
    expect((await send(await rsToken(privateKey))).status).toBe(201);
    await other.stop();
  });

  it("SHOPPER_JWKS_URL: the published key verifies, an unknown kid is TOKEN_INVALID, an unreachable JWKS is 503", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwks = await serveJwks([{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }]);
    const other = await env.startApp({ SHOPPER_JWT_SECRET: "", SHOPPER_JWKS_URL: jwks.url });
    const { id } = await createCoupon(other.url, { totalQuantity: 5 });
    const send = (t: string, userId = "9") => request(`${other.url}/coupons/${id}/issue`, { body: { userId }, headers: { authorization: `Bearer ${t}` } });
    try {
      const before = await storeSnapshot(env, redis);
      const stranger = await generateKeyPair("RS256");
      expect((await send(await rsToken(stranger.privateKey, {}, { kid: "k1" }))).body.code).toBe("TOKEN_INVALID");
      expect((await send(await rsToken(stranger.privateKey, {}, { kid: "k2" }))).body.code).toBe("TOKEN_INVALID");
      await jwks.close();
      // The keys were fetched already (above); a fresh app must fetch them, and cannot: not the token's fault.
      const cold = await env.startApp({ SHOPPER_JWT_SECRET: "", SHOPPER_JWKS_URL: jwks.url });
      const down = await request(`${cold.url}/coupons/${id}/issue`, { body: {}, headers: { authorization: `Bearer ${await rsToken(privateKey, {}, { kid: "k1" })}` } });
      expect([down.status, down.body.code, down.headers.get("retry-after")]).toEqual([503, "UNAVAILABLE", "1"]);
      await cold.stop();
      expect(await storeSnapshot(env, redis)).toEqual(before);
      // Keys are cached: the first app still verifies with the JWKS server gone.
      expect((await send(await rsToken(privateKey, {}, { kid: "k1" }))).status).toBe(201);
    } finally {
      await jwks.close();
      await other.stop();
    }
  });

  it("follows a JWKS key rotation: a token with a new kid makes the verifier fetch the set again", async () => {
    const old = await generateKeyPair("ES256");
    const next = await generateKeyPair("ES256");
    const jwk = async (k: CryptoKey, kid: string) => ({ ...(await exportJWK(k)), kid, alg: "ES256" });
    const jwks = await serveJwks([await jwk(old.publicKey, "old")]);
    try {
      const verifier = createTokenVerifier({ key: { kind: "jwks", url: jwks.url }, issuer: undefined, audience: undefined }, { cooldownMs: 100 });
      const es = (key: CryptoKey, kid: string) => new SignJWT({ sub: "3" }).setProtectedHeader({ alg: "ES256", kid }).setExpirationTime("5m").sign(key);
      expect((await verifier.verify(await es(old.privateKey, "old"))).sub).toBe("3");
      jwks.publish([await jwk(old.publicKey, "old"), await jwk(next.publicKey, "next")]);
      await new Promise((r) => setTimeout(r, 150));
      expect((await verifier.verify(await es(next.privateKey, "next"))).sub).toBe("3");
      expect(jwks.fetches()).toBe(2);
    } finally {
      await jwks.close();
    }
  });
});

/** A real HTTP server publishing a JWKS, as an identity provider would. */
async function serveJwks(initial: object[]) {
  let keys = initial;
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    publish: (next: object[]) => void (keys = next),
    fetches: () => fetches,
    close: () =>
      (closed ??= new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      })),
  };
}
