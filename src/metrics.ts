import { subscribe } from "node:diagnostics_channel";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { QueueDepth } from "./coupon-store/queue-store";
import { SaleStats, type SaleStatsSnapshot } from "./monitor/sale-stats";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

let redisCommandsSent = 0;
let countingRedisCommands = false;

/**
 * Commands every ioredis client in this process has written to Redis. ioredis
 * traces each command once, when it goes on the wire: a script call counts one
 * (the commands it runs inside Redis do not), a pipeline or MULTI counts each
 * command it carries. Process-wide like the CPU figures, so one subscription
 * however many registries read it.
 */
function redisCommandsSentTotal(): number {
  if (!countingRedisCommands) {
    countingRedisCommands = true;
    subscribe("tracing:ioredis:command:start", () => void redisCommandsSent++);
  }
  return redisCommandsSent;
}

/**
 * One registry per app instance, so several instances can share a test process.
 *
 * With WORKERS > 1, GET /metrics answers the sum over every worker
 * (src/cluster-metrics.ts), merged per metric by its `aggregator`: 'sum' by
 * default, which is right for every counter and histogram here; a gauge that
 * reads shared state sets its own.
 */
export class Metrics {
  readonly registry = new Registry();

  private source: () => Promise<string> = () => this.registry.metrics();

  /** What GET /metrics answers, in `registry.contentType`: this registry, unless `answerWith` replaced it. */
  exposition(): Promise<string> {
    return this.source();
  }

  /** A cluster worker answers with the sum over every worker instead of its own share. */
  answerWith(source: () => Promise<string>): void {
    this.source = source;
  }

  /** Shoppers' answers per coupon, for the live dashboard (not exported to /metrics). */
  readonly sales = new SaleStats();

  private salesSource: () => Promise<SaleStatsSnapshot> = async () => this.sales.snapshot();

  /** `sales` of this process, unless `salesFrom` replaced it (a cluster worker: the sum over every worker). */
  salesAcrossProcesses(): Promise<SaleStatsSnapshot> {
    return this.salesSource();
  }

  salesFrom(source: () => Promise<SaleStatsSnapshot>): void {
    this.salesSource = source;
  }

  readonly httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly issueOutcomes = new Counter({
    name: "coupon_issue_total",
    help: "Issue requests by strategy and result",
    labelNames: ["strategy", "result"] as const,
    registers: [this.registry],
  });

  readonly issueDuration = new Histogram({
    name: "coupon_issue_duration_seconds",
    help: "Time to decide an issue request, by strategy",
    labelNames: ["strategy"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly groupCommitBatch = new Histogram({
    name: "coupon_group_commit_batch_size",
    help: "Rows per group-commit write, of every coupon together (redis-set and the queue worker)",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });

  /**
   * A coupon's first use loads it from an empty ledger ("first_load"); a
   * load that finds rows ("reload") means Redis lost state it had (a flush,
   * a restart without persistence, an eviction) or the ledger was restored.
   */
  readonly redisRebuilds = new Counter({
    name: "coupon_redis_rebuilds_total",
    help: "Coupon states loaded into Redis from PostgreSQL: first_load (no rows yet) or reload (the ledger had rows)",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });

  readonly holdsSettledTotal = new Counter({
    name: "coupon_holds_settled_total",
    help: "redis-set admissions their callers did not confirm in time, settled by a sweeper",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  holdsSettled(written: number, refused: number): void {
    if (written) this.holdsSettledTotal.inc({ result: "written" }, written);
    if (refused) this.holdsSettledTotal.inc({ result: "refused" }, refused);
  }

  readonly soldOutFromMemory = new Counter({
    name: "coupon_sold_out_memory_answers_total",
    help: "Answers to a sold-out coupon's crowd (SOLD_OUT, or ALREADY_ISSUED to a winner asking again) given from this process's memory, without Redis or PostgreSQL",
    labelNames: ["answer"] as const,
    registers: [this.registry],
  });

  readonly soldOutInvalidations = new Counter({
    name: "coupon_sold_out_memory_invalidations_total",
    help: "Remembered sold-out coupons dropped: by a change notice, or all at once after a gap in the notice channel",
    labelNames: ["cause"] as const,
    registers: [this.registry],
  });

  readonly soldOutUntrusted = new Counter({
    name: "coupon_sold_out_memory_untrusted_total",
    help: "Requests for a remembered sold-out coupon sent to Redis because the change-notice channel was not healthy",
    registers: [this.registry],
  });

  /** Fed by the pg pool (src/db/count-work.ts): what requests cost PostgreSQL. */
  readonly dbStatements = new Counter({
    name: "coupon_db_statements_total",
    help: "SQL statements this process sent to PostgreSQL, BEGIN and COMMIT included",
    registers: [this.registry],
  });

  readonly dbTransactions = new Counter({
    name: "coupon_db_transactions_total",
    help: "Transactions this process made PostgreSQL run, as pg_stat_database counts them (connection start-ups included)",
    registers: [this.registry],
  });

  readonly fallbacks = new Counter({
    name: "coupon_redis_fallback_total",
    help: "Issue requests served by the postgres path because Redis was unavailable",
    registers: [this.registry],
  });

  readonly queueBatch = new Histogram({
    name: "coupon_queue_batch_size",
    help: "Entries per persisted queue batch",
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  readonly queueAdmissionToRow = new Histogram({
    name: "coupon_queue_admission_to_row_seconds",
    help: "Time from admission to the committed row (queue strategy)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly queueDeadLetters = new Counter({
    name: "coupon_queue_dead_letters_total",
    help: "Unparseable queue entries moved to a dead-letter list",
    registers: [this.registry],
  });

  /** Reads queue depths and the oldest entry's age from Redis at scrape time. */
  trackQueueDepth(read: () => Promise<QueueDepth>): void {
    let last: Promise<QueueDepth> | undefined;
    const sample = () => (last ??= read().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({
      name: "coupon_queue_depth",
      help: "Admitted requests waiting in the queues this process knows",
      registers: [this.registry],
      // Read from Redis, so every worker sees the same lists: summing would count them once per worker.
      // The largest, as a worker that has not yet learnt of a queue (or could not read) reads less.
      aggregator: "max",
      async collect() {
        this.set(await sample().then((d) => d.queued, () => -1));
      },
    });
    new Gauge({
      name: "coupon_queue_processing",
      help: "Entries in this process's processing lists",
      registers: [this.registry],
      // Each worker has processing lists of its own: the cluster's total is the sum.
      aggregator: "sum",
      async collect() {
        this.set(await sample().then((d) => d.processing, () => -1));
      },
    });
    new Gauge({
      name: "coupon_queue_oldest_age_seconds",
      help: "Age of the oldest entry waiting at the head of a queue (0 when every queue is empty)",
      registers: [this.registry],
      // Read from Redis like the depth: the oldest any worker sees.
      aggregator: "max",
      async collect() {
        this.set(await sample().then((d) => d.oldestAgeMs / 1000, () => -1));
      },
    });
  }

  readonly problems = new Counter({
    name: "http_problems_total",
    help: "Problem responses by route and problem code (e.g. SOLD_OUT, BUSY, UNAVAILABLE)",
    labelNames: ["method", "route", "code"] as const,
    registers: [this.registry],
  });

  readonly redisDrift = new Gauge({
    name: "coupon_redis_drift",
    help: "Per live coupon: admitted in Redis - rows in PostgreSQL - queued - held; 0 when Redis agrees with the ledger",
    labelNames: ["coupon_id", "strategy"] as const,
    registers: [this.registry],
    // Every worker measures the same two stores: any one's reading is the service's.
    aggregator: "first",
  });

  readonly driftCheckFailures = new Counter({
    name: "coupon_redis_drift_check_failures_total",
    help: "Live coupons (or lists of them) the drift check could not read",
    registers: [this.registry],
  });

  /** Replaces every drift series with one pass's readings: coupons no longer live or readable drop out. */
  setDrift(readings: readonly { couponId: number; strategy: string; drift: number }[]): void {
    this.redisDrift.reset();
    for (const r of readings) this.redisDrift.set({ coupon_id: String(r.couponId), strategy: r.strategy }, r.drift);
  }

  constructor(defaultMetrics = true) {
    if (!defaultMetrics) return;
    collectDefaultMetrics({ register: this.registry });
    redisCommandsSentTotal(); // subscribe now: only commands sent after the subscription are counted
    new Counter({
      name: "coupon_redis_commands_total",
      help: "Commands this process's Redis clients sent (a script call is one; a pipeline counts each command)",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(redisCommandsSentTotal());
      },
    });
  }
}
