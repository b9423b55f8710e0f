import { SignJWT } from "jose";
import { acceptedForMs, CLOCK_SKEW_SECONDS, createTokenVerifier } from "../../src/http/token-verifier";

/**
 * The verifier remembers tokens that verified, until they expire. What it
 * remembers must never accept anything jose would refuse: not a token one
 * byte away from a good one, not one past its expiry.
 */
const SECRET = "unit-test-secret-0123456789abcdef0123";
const settings = { key: { kind: "secret" as const, secret: SECRET }, issuer: undefined, audience: undefined };
const sign = (sub: string, exp: number) =>
  new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setExpirationTime(exp).sign(new TextEncoder().encode(SECRET));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const codeOf = (p: Promise<unknown>) => p.then(() => "accepted", (err: { code?: string }) => err.code);

it("accepts a remembered token again, and still refuses its one-character forgeries", async () => {
  const verifier = createTokenVerifier(settings);
  const token = await sign("42", nowSeconds() + 60);
  expect((await verifier.verify(token)).sub).toBe("42");
  expect((await verifier.verify(token)).sub).toBe("42");
  // Change the first character (every bit of it counts, unlike the last one's) of the signature, the payload, the header.
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const flip = (s: string) => (s.startsWith("A") ? "B" : "A") + s.slice(1);
  for (const forged of [`${header}.${payload}.${flip(signature)}`, `${header}.${flip(payload)}.${signature}`, `${flip(header)}.${payload}.${signature}`]) {
    expect(await codeOf(verifier.verify(forged))).toMatch(/^TOKEN_/);
  }
});

it("remembers a token exactly as long as jose accepts it: until exp plus the clock leeway", async () => {
  const now = nowSeconds();
  const verifier = createTokenVerifier(settings);
  // Inside the leeway: jose accepts, and the memory keeps it for the time left.
  const late = await sign("7", now - CLOCK_SKEW_SECONDS + 5);
  expect(await codeOf(verifier.verify(late))).toBe("accepted");
  expect(acceptedForMs(now - CLOCK_SKEW_SECONDS + 5, Date.now())).toBeGreaterThan(0);
  expect(acceptedForMs(now - CLOCK_SKEW_SECONDS + 5, Date.now())).toBeLessThanOrEqual(5_000);
  // Past it: jose refuses, and acceptedForMs says nothing is left.
  const expired = await sign("7", now - CLOCK_SKEW_SECONDS - 1);
  expect(await codeOf(verifier.verify(expired))).toBe("TOKEN_EXPIRED");
  expect(acceptedForMs(now - CLOCK_SKEW_SECONDS - 1, Date.now())).toBeLessThanOrEqual(0);
});

it("forgets a remembered token when it expires", async () => {
  const verifier = createTokenVerifier(settings);
  // Expires (leeway included) about 1.5 s from now; remembered on its first use.
  const exp = Math.floor(Date.now() / 1000) - CLOCK_SKEW_SECONDS + 2;
  const token = await sign("9", exp);
  expect(await codeOf(verifier.verify(token))).toBe("accepted");
  await new Promise((r) => setTimeout(r, Math.max(0, acceptedForMs(exp, Date.now())) + 50));
  expect(await codeOf(verifier.verify(token))).toBe("TOKEN_EXPIRED");
});
