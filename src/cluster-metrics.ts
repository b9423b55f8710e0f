import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";
import type { Logger } from "./logger";
import { mergeSaleStats, type SaleStats, type SaleStatsSnapshot } from "./monitor/sale-stats";

/*
 * GET /metrics with WORKERS > 1: the sum over every worker.
 *
 * The workers share one port and the cluster hands each connection to one of
 * them (round-robin), so a scrape lands on an arbitrary worker, and that
 * worker's own registry holds only its share of the counts. Two ways out:
 *
 *  (a) the primary serves the aggregate on a port of its own (METRICS_PORT);
 *  (b) the worker that got the scrape asks the primary over the cluster's IPC
 *      channel; the primary runs prom-client's AggregatorRegistry
 *      `clusterMetrics()` (which asks every worker for its registry as JSON
 *      and merges them) and sends the text back.
 *
 * We do (b): `/metrics` on the service's port stays the one documented
 * endpoint (no second port to configure, expose or secure), a single process
 * (WORKERS=1, no cluster) does exactly what it did before, and prom-client's
 * own merge is used unchanged. The cost is two IPC round trips per scrape.
 *
 * How values merge is each metric's `aggregator` (src/metrics.ts): counters
 * and histograms sum; gauges say what summing would mean. prom-client's
 * defaults stand for its process/Node metrics (process_start_time_seconds is
 * omitted, nodejs_version_info taken from the first worker, event-loop lag
 * averaged/min/max, the rest summed: memory, handles and CPU are totals for
 * the service). The primary itself keeps no metrics and is not counted.
 *
 * A scrape that cannot reach every worker fails (503, after prom-client's
 * 5 s wait) rather than answer a partial sum, which would read as counters
 * going backwards: that is a worker hung or stopped, or dying mid-scrape. A
 * freshly forked worker is no such gap: it installs its listener before its
 * event loop first turns, and the primary's ask waits in the channel until
 * then. A restarted worker starts its counters at zero, so the sums drop by
 * the dead worker's share; Prometheus' rate() takes that as a reset, as it
 * would for a single process restarting.
 *
 * The live dashboard's per-coupon answers (src/monitor/sale-stats.ts) take
 * the same way: a worker asks the primary, the primary gathers every
 * worker's snapshot and answers the sum, or an error if one did not answer.
 */

const ASK = "coupon:cluster-metrics:ask";
const ANSWER = "coupon:cluster-metrics:answer";
const GATHER = "coupon:cluster-metrics:gather";
const GATHERED = "coupon:cluster-metrics:gathered";

/** What a worker can ask the primary for. */
type Topic = "metrics" | "sales";

interface Ask {
  readonly type: typeof ASK;
  readonly id: number;
  readonly topic: Topic;
}
interface Answer {
  readonly type: typeof ANSWER;
  readonly id: number;
  readonly value?: unknown;
  readonly error?: string;
}
interface Gather {
  readonly type: typeof GATHER;
  readonly id: number;
}
interface Gathered {
  readonly type: typeof GATHERED;
  readonly id: number;
  readonly sales: SaleStatsSnapshot;
}

const isA =
  <T extends { type: string }>(type: T["type"]) =>
  (m: unknown): m is T =>
    (m as T | null)?.type === type;
const isAsk = isA<Ask>(ASK);
const isAnswer = isA<Answer>(ANSWER);
const isGather = isA<Gather>(GATHER);
const isGathered = isA<Gathered>(GATHERED);

/** As long as prom-client waits for the workers' metrics. */
const GATHER_TIMEOUT_MS = 5_000;

/** In the primary, before forking: answers the workers' asks with the sum over every worker. */
export function serveClusterMetrics(logger: Logger): void {
  // Constructing it also installs prom-client's listener for the workers' replies.
  const aggregator = new AggregatorRegistry();
  const sales = new SalesGatherer();
  const answers: Record<Topic, () => Promise<unknown>> = {
    metrics: () => aggregator.clusterMetrics(),
    sales: () => sales.gather(),
  };
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (isGathered(message)) return sales.received(worker, message);
    if (!isAsk(message)) return;
    const topic = message.topic;
    const reply = (answer: Answer) => {
      // The asking worker may have died meanwhile; nothing is waiting then.
      if (worker.isConnected()) worker.send(answer, () => undefined);
    };
    answers[topic]().then(
      (value) => reply({ type: ANSWER, id: message.id, value }),
      (err: Error) => {
        logger.warn({ err: err.message, topic }, "could not gather from every worker");
        reply({ type: ANSWER, id: message.id, error: err.message });
      },
    );
  });
}

/** The primary's side of the dashboard's answers: asks every worker, sums the replies. */
class SalesGatherer {
  private nextId = 0;
  private readonly waiting = new Map<number, (worker: Worker, sales: SaleStatsSnapshot) => void>();

  gather(): Promise<SaleStatsSnapshot> {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w?.isConnected());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const replies = new Map<Worker, SaleStatsSnapshot>();
      const finish = (err?: Error) => {
        this.waiting.delete(id);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(mergeSaleStats([...replies.values()]));
      };
      const timer = setTimeout(() => finish(new Error("a worker did not report its answers in time")), GATHER_TIMEOUT_MS);
      this.waiting.set(id, (worker, sales) => {
        replies.set(worker, sales);
        if (replies.size === workers.length) finish();
      });
      if (workers.length === 0) return finish();
      for (const w of workers) w.send({ type: GATHER, id } satisfies Gather, () => undefined);
    });
  }

  received(worker: Worker, message: Gathered): void {
    this.waiting.get(message.id)?.(worker, message.sales);
  }
}

/**
 * In a cluster worker, as early as possible: makes this worker report
 * `registry` when the primary gathers (prom-client reports the registries
 * given to `setRegistries`, else its global registry, which our per-app
 * registries never use), and returns what GET /metrics should answer: the
 * primary's sum over every worker.
 */
export function clusterMetricsFromPrimary(registry: Registry, timeoutMs = 7_000): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client answers the primary's requests only in a worker that has constructed one.
  new AggregatorRegistry();
  return () => askPrimary("metrics", timeoutMs).then((value) => String(value));
}

/**
 * In a cluster worker: reports `stats` when the primary gathers the
 * dashboard's answers, and returns how to ask for the sum over every worker.
 */
export function clusterSalesFromPrimary(stats: SaleStats, timeoutMs = 7_000): () => Promise<SaleStatsSnapshot> {
  process.on("message", (message: unknown) => {
    if (!isGather(message)) return;
    process.send?.({ type: GATHERED, id: message.id, sales: stats.snapshot() } satisfies Gathered, undefined, undefined, () => undefined);
  });
  return () => askPrimary("sales", timeoutMs) as Promise<SaleStatsSnapshot>;
}

/** Per ask in flight (whatever its topic, so ids never clash): settles it once; later calls do nothing. */
const waiting = new Map<number, (err: Error | null, value?: unknown) => void>();
let nextAskId = 0;

function onAnswer(message: unknown): void {
  if (!isAnswer(message)) return;
  const settle = waiting.get(message.id); // absent if it timed out already
  if (message.error === undefined) settle?.(null, message.value);
  else settle?.(new Error(message.error));
}

/** A worker's ask to the primary: its answer, or an error after `timeoutMs`. */
function askPrimary(topic: Topic, timeoutMs: number): Promise<unknown> {
  if (!process.listeners("message").includes(onAnswer)) process.on("message", onAnswer);
  return new Promise<unknown>((resolve, reject) => {
    const id = nextAskId++;
    const settle = (err: Error | null, value?: unknown) => {
      if (!waiting.delete(id)) return;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    };
    // Longer than the primary's own wait for the workers, so its error is the one reported.
    const timer = setTimeout(() => settle(new Error("the cluster primary did not answer")), timeoutMs);
    waiting.set(id, settle);
    if (!process.send) return settle(new Error("not a cluster worker"));
    process.send({ type: ASK, id, topic } satisfies Ask, undefined, undefined, (err) => {
      if (err) settle(err);
    });
  });
}
