import http from "node:http";
import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, inFlight } from "../support/http";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * GET /metrics with WORKERS=2 answers the sum over both workers, whichever
 * worker the cluster hands the scrape to. Each request below opens its own
 * connection, so the cluster's round-robin spreads them over the workers.
 */
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env?.dispose());

const ISSUES = 200;
const ISSUE_ROUTE = "/coupons/:couponId/issue";

/** One request on a connection of its own (no agent, no keep-alive). */
function freshRequest(url: string, method = "GET", body?: unknown): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, {
      method,
      agent: false,
      headers: { connection: "close", ...(payload === undefined ? {} : { "content-type": "application/json" }) },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), text }));
      res.on("error", reject);
    });
    req.end(payload);
  });
}

/** Sum of every sample of `name` (exact family member, e.g. `x_count`) whose labels include `labelFilter`. */
function sumSamples(exposition: string, name: string, labelFilter = ""): number {
  let total = 0;
  for (const line of exposition.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? "").includes(labelFilter)) total += Number(m[3]);
  }
  return total;
}

/** Pino lines of the child, parsed. */
function logLines(app: ChildApp): Record<string, unknown>[] {
  return app
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM (the primary passes it on to its workers), SIGKILL if that does not end it. */
async function stop(app: ChildApp): Promise<number | string> {
  app.kill("SIGTERM");
  const timer = setTimeout(() => app.kill("SIGKILL"), 15_000);
  const exit = await app.exited();
  clearTimeout(timer);
  return exit;
}

async function issueCrowd(app: ChildApp, couponId: number): Promise<void> {
  const jobs = Array.from({ length: ISSUES }, (_, i) => () =>
    freshRequest(`${app.url}/coupons/${couponId}/issue`, "POST", { userId: 1 + i }),
  );
  const answers = await inFlight(jobs, 20);
  expect(answers.map((a) => a.status)).toEqual(Array(ISSUES).fill(201));
}

/**
 * Waits for both workers (spawnApp returns once one answers), then issues a
 * crowd on a new coupon and checks the premise: the crowd really was served
 * by both (otherwise one worker's count would pass). Returns the coupon id.
 */
async function sellAcrossBothWorkers(app: ChildApp): Promise<number> {
  await until("both workers to listen", () => logLines(app).filter((l) => l.msg === "listening").length === 2);
  const { id } = await createCoupon(app.url, { totalQuantity: 1_000 });
  await issueCrowd(app, id);
  const servedBy = new Set(logLines(app).filter((l) => l.msg === "request" && String(l.url).endsWith("/issue")).map((l) => l.pid));
  expect(servedBy.size).toBe(2);
  return id;
}

it("WORKERS=2: every scrape answers the sum over both workers", async () => {
  // info level: the logs say when both workers listen and which pid served each request.
  const app = await spawnApp(env, { WORKERS: "2", LOG_LEVEL: "info" });
  try {
    await sellAcrossBothWorkers(app);

    for (let scrape = 0; scrape < 6; scrape++) {
      const res = await freshRequest(`${app.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sumSamples(res.text, "coupon_issue_total")).toBe(ISSUES);
      expect(sumSamples(res.text, "coupon_issue_total", 'result="issued"')).toBe(ISSUES);
      expect(sumSamples(res.text, "http_request_duration_seconds_count", `route="${ISSUE_ROUTE}"`)).toBeGreaterThanOrEqual(ISSUES);
      // One family per metric: aggregated, not the workers' expositions concatenated.
      expect(res.text.match(/^# HELP coupon_issue_total /gm)).toHaveLength(1);
      expect(res.text.match(/^nodejs_version_info\{/gm)).toHaveLength(1);
    }
    // The scrapes themselves landed on both workers too.
    const scrapedBy = new Set(logLines(app).filter((l) => l.msg === "request" && l.url === "/metrics").map((l) => l.pid));
    expect(scrapedBy.size).toBe(2);
    // Answering the primary's asks does not get in the way of a clean shutdown.
    expect(await stop(app)).toBe(0);
  } finally {
    app.kill("SIGKILL");
  }
});

/** The first update of the dashboard's stream, read on a connection of its own. */
function firstDashboardUpdate(url: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/dashboard/events`, { agent: false, headers: { authorization: `Bearer ${env.config.adminTokens[0]}` } });
    req.on("error", reject);
    req.on("response", (res) => {
      if (res.statusCode !== 200) return reject(new Error(`dashboard stream answered ${res.statusCode}`));
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
        const m = /^data: (.*)$/m.exec(text);
        if (m) {
          resolve(JSON.parse(m[1]!));
          req.destroy();
        }
      });
    });
  });
}

it("WORKERS=2: the dashboard's answers per coupon are the sum over both workers", async () => {
  const app = await spawnApp(env, { WORKERS: "2", LOG_LEVEL: "info" });
  try {
    const id = await sellAcrossBothWorkers(app);
    // Whichever worker serves the stream, it shows every worker's answers (one worker's share would be less).
    for (let stream = 0; stream < 4; stream++) {
      const update = await firstDashboardUpdate(app.url);
      const coupon = update.coupons.find((c: { id: number }) => c.id === id);
      expect(coupon).toMatchObject({ issued: ISSUES, answers: { issued: ISSUES, soldOut: 0 } });
      expect(update.problems).toEqual([]);
    }
    expect(await stop(app)).toBe(0);
  } finally {
    app.kill("SIGKILL");
  }
});

it("WORKERS=1 (the default): /metrics is this process's registry, as before", async () => {
  const app = await spawnApp(env);
  try {
    const { id } = await createCoupon(app.url, { totalQuantity: 1_000 });
    const jobs = Array.from({ length: 20 }, (_, i) => () => freshRequest(`${app.url}/coupons/${id}/issue`, "POST", { userId: 10_000 + i }));
    expect((await inFlight(jobs, 5)).map((a) => a.status)).toEqual(Array(20).fill(201));
    const res = await freshRequest(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sumSamples(res.text, "coupon_issue_total", 'result="issued"')).toBe(20);
    // Only a single process reports its start time (the cluster aggregate omits it).
    expect(sumSamples(res.text, "process_start_time_seconds")).toBeGreaterThan(0);
  } finally {
    app.kill("SIGKILL");
  }
});
