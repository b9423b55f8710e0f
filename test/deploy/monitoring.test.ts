import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse as parseYaml } from "yaml";
import { ERRORS } from "../../src/errors";
import { couponKeys, HOLD_COUPONS_KEY } from "../../src/coupon-store/keys";
import { createCoupon, request } from "../support/http";
import { parseSamples, type Sample } from "../support/metrics-text";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * The alert rules and the dashboard in deploy/ name only what the service
 * exports: every PromQL expression parses, every metric it selects has
 * samples on a running service's /metrics (after traffic that makes each
 * labelled series exist), every label it matches or groups by is on those
 * samples, and every route or problem code it matches is a real one. Each
 * alert has its section in the runbook.
 */
const ROOT = join(__dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly annotations: Record<string, string>;
}
interface Panel {
  readonly id: number;
  readonly title: string;
  readonly targets?: { expr: string }[];
  readonly panels?: Panel[];
}

const rules: Rule[] = (parseYaml(read("deploy/prometheus/alerts.yml")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(read("deploy/grafana/coupon-issuance.json")) as { panels: Panel[] };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const expressions = [
  ...rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
];

type SyntaxNode = NonNullable<ReturnType<ReturnType<typeof parser.parse>["topNode"]["getChild"]>>;

/** Series Prometheus makes itself for every target; the service cannot export them. */
const MADE_BY_PROMETHEUS = new Set(["up"]);
/** Labels Prometheus attaches to every series it scrapes (the target's). */
const TARGET_LABELS = new Set(["instance", "job"]);

/** What one expression asks of the exposition. */
interface Uses {
  readonly errors: number[];
  /** metric -> label matchers on it */
  readonly selectors: { metric: string | undefined; matchers: { label: string; op: string; value: string }[] }[];
  /** labels an aggregation groups by, with the metrics it aggregates over */
  readonly groupings: { labels: string[]; metrics: string[] }[];
}

function uses(expr: string): Uses {
  const text = (n: SyntaxNode | null) => (n ? expr.slice(n.from, n.to) : "");
  const metricsUnder = (n: SyntaxNode) => {
    const names: string[] = [];
    const c = n.cursor();
    const end = n.to;
    while (c.next() && c.from < end) if (c.name === "VectorSelector") names.push(text(c.node.getChild("Identifier")));
    return names;
  };
  const result: Uses = { errors: [], selectors: [], groupings: [] };
  parser.parse(expr).iterate({
    enter(ref) {
      const node = ref.node;
      if (ref.type.isError) result.errors.push(ref.from);
      if (ref.name === "VectorSelector") {
        const matchers = (node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []).map((m) => ({
          label: text(m.getChild("LabelName")),
          op: text(m.getChild("MatchOp")),
          value: JSON.parse(text(m.getChild("StringLiteral"))) as string,
        }));
        result.selectors.push({ metric: node.getChild("Identifier") ? text(node.getChild("Identifier")) : undefined, matchers });
      }
      if (ref.name === "AggregateExpr") {
        const labels = (node.getChild("AggregateModifier")?.getChild("GroupingLabels")?.getChildren("LabelName") ?? []).map(text);
        if (labels.length) result.groupings.push({ labels, metrics: metricsUnder(node) });
      }
    },
  });
  return result;
}

let env: TestEnv;
let serving: TestApp;
let contender: TestApp;
let samples: Sample[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const issue = (app: TestApp, couponId: number, userId: number) => request(`${app.url}/coupons/${couponId}/issue`, { body: { userId } });
const scrape = async (app: TestApp) => parseSamples((await request<string>(`${app.url}/metrics`)).body);

/** A sale of every strategy, a hold left to the sweeper, a reload, and a lock contended across two processes. */
async function driveTraffic(): Promise<void> {
  for (const strategy of ["redis-set", "queue", "lock", "postgres"]) {
    const { id } = await createCoupon(serving.url, { totalQuantity: 3, strategy });
    for (let userId = 1; userId <= 5; userId++) await issue(serving, id, userId);
    if (strategy === "queue") {
      await until("the queue to drain", async () => (await request(`${serving.url}/coupons/${id}/issuances/3`)).body.status === "ISSUED");
    }
  }

  // A redis-set admission nobody confirmed, already due: a sweeper settles it.
  const redis = serving.running.services.redis;
  const held = await createCoupon(serving.url, { totalQuantity: 5 });
  await issue(serving, held.id, 1);
  const k = couponKeys(held.id);
  await redis.holdPlaces(k.issued, k.holds, 0, 1, "77");
  await redis.sadd(HOLD_COUPONS_KEY, String(held.id));
  // Redis loses the coupon: the next request reloads it from a ledger with rows.
  await until("the sweeper to settle the hold", async () => (await redis.zcard(k.holds)) === 0);
  await redis.del(k.meta, k.issued);
  expect((await issue(serving, held.id, 2)).status).toBe(201);

  // The contender holds a lock coupon's lock (paused inside); the serving process gives up waiting (BUSY),
  // and the contender's lease is lost when its lock key disappears.
  const { id: locked } = await createCoupon(serving.url, { totalQuantity: 5, strategy: "lock" });
  expect((await issue(serving, locked, 1)).status).toBe(201);
  const holding = issue(contender, locked, 2);
  const lockKey = `lock:{coupon:${locked}}`;
  await until("the contender to hold the lock", async () => (await redis.exists(lockKey)) === 1);
  const busy = await issue(serving, locked, 3);
  expect([busy.status, busy.body.code]).toEqual([503, "BUSY"]);
  await redis.del(lockKey);
  await holding;
}

beforeAll(async () => {
  env = await createTestEnv();
  serving = await env.startApp({ DRIFT_CHECK_INTERVAL_MS: "100", LOCK_WAIT_MS: "100" });
  contender = await env.startApp({ TEST_LOCK_FAULT_PAUSE_MS: "1500", LOCK_LEASE_MS: "300" });
  await driveTraffic();
  await until("a drift reading", async () => (await scrape(serving)).some((s) => s.name === "coupon_redis_drift"));
  // Both processes are the service: a series may live in either one.
  samples = [...(await scrape(serving)), ...(await scrape(contender))];
});
afterAll(() => env?.dispose());

it("the rules and the dashboard are found, and every expression parses as PromQL", () => {
  expect(rules.length).toBeGreaterThanOrEqual(10);
  expect(expressions.length).toBeGreaterThanOrEqual(30);
  const broken = expressions.filter((e) => uses(e.expr).errors.length > 0);
  expect(broken).toEqual([]);
  // A metric selected only through {__name__=...} would escape the checks below.
  expect(expressions.flatMap((e) => uses(e.expr).selectors.filter((s) => !s.metric).map(() => e.where))).toEqual([]);
});

it("every metric they select is exported, with the labels they match on", () => {
  const missing: string[] = [];
  for (const { where, expr } of expressions) {
    for (const { metric, matchers } of uses(expr).selectors) {
      if (MADE_BY_PROMETHEUS.has(metric!)) continue;
      const series = samples.filter((s) => s.name === metric);
      if (series.length === 0) {
        missing.push(`${where}: no samples of ${metric}`);
        continue;
      }
      for (const m of matchers) {
        if (!TARGET_LABELS.has(m.label) && !series.some((s) => m.label in s.labels)) missing.push(`${where}: ${metric} has no label ${m.label}`);
      }
    }
  }
  expect(missing).toEqual([]);
});

it("every label they group by is on a metric they aggregate", () => {
  const missing: string[] = [];
  for (const { where, expr } of expressions) {
    for (const { labels, metrics } of uses(expr).groupings) {
      for (const label of labels.filter((l) => !TARGET_LABELS.has(l))) {
        if (!samples.some((s) => metrics.includes(s.name) && label in s.labels)) missing.push(`${where}: no ${label} on ${metrics.join(", ")}`);
      }
    }
  }
  expect(missing).toEqual([]);
});

it("every route, problem code or other literal label value they match exists", () => {
  const servedRoutes = new Set(samples.filter((s) => s.name === "http_request_duration_seconds_count").map((s) => s.labels.route));
  const literal = /^[\w:/{}-]+(\|[\w:/{}-]+)*$/;
  const wrong: string[] = [];
  for (const { where, expr } of expressions) {
    for (const { metric, matchers } of uses(expr).selectors) {
      if (MADE_BY_PROMETHEUS.has(metric!)) continue;
      for (const m of matchers) {
        if (!["=", "=~"].includes(m.op) || !literal.test(m.value) || TARGET_LABELS.has(m.label)) continue;
        for (const value of m.value.split("|")) {
          const known =
            m.label === "code" ? value in ERRORS
            : m.label === "route" ? servedRoutes.has(value)
            : samples.some((s) => s.name === metric && s.labels[m.label] === value);
          if (!known) wrong.push(`${where}: ${metric}{${m.label}="${value}"}`);
        }
      }
    }
  }
  expect(wrong).toEqual([]);
});

it("every alert has a runbook section, and the dashboard's panel ids are unique", () => {
  const headings = new Set([...read("docs/runbook.md").matchAll(/^#{2,3} (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
  const withoutSection = rules.filter((r) => r.annotations.runbook !== `docs/runbook.md#${r.alert.toLowerCase()}` || !headings.has(r.alert.toLowerCase()));
  expect(withoutSection.map((r) => r.alert)).toEqual([]);
  const ids = panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
});
