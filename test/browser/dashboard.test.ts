import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { createCoupon, inFlight, request } from "../support/http";
import { ADMIN_TOKEN, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * The dashboard in a real browser (Debian's Chromium): log in, watch a sale
 * that this test drives with real issue requests, see the numbers reach
 * exactly N, pause and resume it with the page's own buttons, and keep a
 * screenshot in test-artifacts/.
 */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts");
const N = 40;

let env: TestEnv;
let app: TestApp;
let userDataDir: string;
let context: BrowserContext;
const pageErrors: string[] = [];
const requested: string[] = [];

beforeAll(async () => {
  // Never skipped: a missing browser fails the run (.ci/run installs it).
  if (!existsSync(CHROMIUM)) throw new Error(`needs ${CHROMIUM}: apt-get install -y chromium`);
  env = await createTestEnv();
  app = await env.startApp();
  userDataDir = mkdtempSync(path.join(tmpdir(), "dashboard-chromium-"));
  // A persistent context is how Playwright takes a fresh --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.on("request", (r) => void requested.push(r.url()));
  context.on("weberror", (e) => void pageErrors.push(e.error().message));
  // Script errors and Content-Security-Policy violations; not the logged-out 401 the page expects at first.
  context.on("console", (m) => void (m.type() === "error" && !m.text().startsWith("Failed to load resource") && pageErrors.push(m.text())));
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await env?.dispose();
});

const issue = (couponId: number, userIds: readonly number[]) =>
  inFlight(
    userIds.map((userId) => () => request(`${app.url}/coupons/${couponId}/issue`, { body: { userId } }).then((r) => r.status)),
    20,
  );
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const text = (l: Locator) => l.textContent().then((t) => t?.trim());
const shows = (l: Locator, expected: string) => until(`${expected} on the page`, async () => (await text(l)) === expected);

async function logIn(page: Page): Promise<void> {
  await context.clearCookies();
  await page.goto(`${app.url}/dashboard`);
  await page.getByLabel("Operator token").fill(ADMIN_TOKEN);
  // The keyboard submits the form.
  await page.getByLabel("Operator token").press("Enter");
  await page.getByRole("heading", { name: "Sales in progress" }).waitFor();
}

it("logs in, follows a sale to exactly N, pauses and resumes it from the page", async () => {
  const sale = await createCoupon(app.url, { totalQuantity: N, name: "Spring sale" });
  const queued = await createCoupon(app.url, { totalQuantity: 500, name: "Queue sale", strategy: "queue" });
  const page = await context.newPage();
  await logIn(page);

  // The login is an HttpOnly, SameSite=Strict cookie; the token itself is in no URL.
  const [cookie] = await context.cookies(app.url);
  expect(cookie).toMatchObject({ name: "coupon_dashboard", httpOnly: true, sameSite: "Strict" });
  expect(requested.some((u) => u.includes(ADMIN_TOKEN))).toBe(false);

  const card = page.getByRole("article", { name: `#${sale.id} Spring sale` });
  const field = (name: string) => card.locator(`[data-field="${name}"]`);
  const answer = (kind: string) => card.locator(`[data-answer="${kind}"]`);
  await shows(field("remaining"), String(N));

  // First wave: 15 shoppers.
  expect(await issue(sale.id, range(1, 15))).toEqual(Array(15).fill(201));
  await shows(field("issued"), "15");
  await shows(field("remaining"), String(N - 15));
  await shows(answer("issued"), "15");

  // Pause with the page's button: shoppers are turned away, and may come back.
  await card.getByRole("button", { name: "Pause" }).click();
  await shows(card.getByRole("status"), "Paused.");
  await shows(field("status"), "paused");
  const refused = await request(`${app.url}/coupons/${sale.id}/issue`, { body: { userId: 1_000 } });
  expect([refused.status, refused.body.code]).toEqual([409, "COUPON_PAUSED"]);
  await shows(answer("notOpen"), "1");
  expect(await card.getByRole("button", { name: "Pause" }).isDisabled()).toBe(true);

  // Resume from the keyboard.
  await card.getByRole("button", { name: "Resume" }).focus();
  await page.keyboard.press("Enter");
  await shows(card.getByRole("status"), "Resumed.");
  await shows(field("status"), "live");

  // Second wave, spread over a few seconds so the chart has a shape: 5 repeats, then more shoppers than places.
  expect(await issue(sale.id, range(1, 5))).toEqual(Array(5).fill(409));
  await issue(queued.id, range(1, 120));
  for (const wave of [range(16, 10), range(26, 20), range(46, 45)]) {
    await issue(sale.id, wave);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  await shows(field("issued"), String(N));
  await shows(field("remaining"), "0");
  await shows(field("status"), "sold-out");
  await shows(answer("issued"), String(N));
  await shows(answer("duplicate"), "5");
  await shows(answer("soldOut"), String(15 + 10 + 20 + 45 - N));
  const [{ rows }] = await env.sql<{ rows: string }>(`SELECT count(*) AS rows FROM "UserCoupon" WHERE "couponId" = $1`, [sale.id]);
  expect(Number(rows)).toBe(N);

  // The queue sale is still on: its rows and queue depth show too.
  const queueCard = page.getByRole("article", { name: `#${queued.id} Queue sale` });
  await shows(queueCard.locator('[data-field="issued"]'), "120");
  await shows(queueCard.locator('[data-field="queue"]'), "0");

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });

  // Offline-ready: the page fetched nothing but this server, and broke no rule of its Content-Security-Policy.
  expect(requested.filter((u) => !u.startsWith(app.url))).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 120_000);

it("logging out ends the data: the stream closes and the login form is back", async () => {
  const page = await context.newPage();
  await logIn(page);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Operator token").waitFor();
  expect(await context.cookies(app.url)).toEqual([]);
  const res = await page.evaluate(() => fetch("/dashboard/session").then((r) => r.status));
  expect(res).toBe(401);
}, 60_000);
