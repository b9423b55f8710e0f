import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";
import type { Logger } from "./logger";

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
 */

const ASK = "coupon:cluster-metrics:ask";
const ANSWER = "coupon:cluster-metrics:answer";

interface Ask {
  readonly type: typeof ASK;
  readonly id: number;
}
interface Answer {
  readonly type: typeof ANSWER;
  readonly id: number;
  readonly metrics?: string;
  readonly error?: string;
}

const isAsk = (m: unknown): m is Ask => (m as Ask | null)?.type === ASK;
const isAnswer = (m: unknown): m is Answer => (m as Answer | null)?.type === ANSWER;

/** In the primary, before forking: answers the workers' asks with the sum over every worker. */
export function serveClusterMetrics(logger: Logger): void {
  // Constructing it also installs prom-client's listener for the workers' replies.
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (!isAsk(message)) return;
    const reply = (answer: Answer) => {
      // The asking worker may have died meanwhile; nothing is waiting then.
      if (worker.isConnected()) worker.send(answer, () => undefined);
    };
    aggregator.clusterMetrics().then(
      (metrics) => reply({ type: ANSWER, id: message.id, metrics }),
      (err: Error) => {
        logger.warn({ err: err.message }, "could not gather metrics from every worker");
        reply({ type: ANSWER, id: message.id, error: err.message });
      },
    );
  });
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

  /** Per ask in flight: settles it (once; later calls do nothing). */
  const waiting = new Map<number, (err: Error | null, metrics?: string) => void>();
  let nextId = 0;
  process.on("message", (message: unknown) => {
    if (!isAnswer(message)) return;
    const settle = waiting.get(message.id); // absent if it timed out already
    if (message.metrics !== undefined) settle?.(null, message.metrics);
    else settle?.(new Error(message.error ?? "no metrics in the primary's answer"));
  });

  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const settle = (err: Error | null, metrics?: string) => {
        if (!waiting.delete(id)) return;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(metrics!);
      };
      // Longer than prom-client's own 5 s wait for the workers, so its error is the one reported.
      const timer = setTimeout(() => settle(new Error("the cluster primary did not answer for metrics")), timeoutMs);
      waiting.set(id, settle);
      if (!process.send) return settle(new Error("not a cluster worker"));
      process.send({ type: ASK, id } satisfies Ask, undefined, undefined, (err) => {
        if (err) settle(err);
      });
    });
}
