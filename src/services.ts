import type { Config } from "./config";
import { CouponStore } from "./coupon-store/coupon-store";
import { HoldStore } from "./coupon-store/hold-store";
import { QueueStore } from "./coupon-store/queue-store";
import { AuditLog } from "./db/audit-log";
import { CouponRepository } from "./db/coupon-repository";
import { createDatabase, type Database } from "./db/database";
import { Ledger } from "./db/ledger";
import type { AppDeps } from "./http/deps";
import { IssueLimits } from "./http/rate-limit";
import { createTokenVerifier } from "./http/token-verifier";
import { CouponAdmin } from "./issuance/coupon-admin";
import { SaleCopies } from "./issuance/sale-copies";
import { CouponCatalog } from "./issuance/coupon-catalog";
import { CouponEvents } from "./issuance/coupon-events";
import { DriftMonitor } from "./issuance/drift-monitor";
import { GroupCommit } from "./issuance/group-commit";
import { LockStrategy } from "./issuance/lock-strategy";
import { createLock } from "./lock";
import { IssuanceService, type StrategySet } from "./issuance/issuance-service";
import { PostgresStrategy } from "./issuance/postgres-strategy";
import { OutcomeWaiter } from "./issuance/queue/outcome-waiter";
import { QueueStrategy } from "./issuance/queue/queue-strategy";
import { QueueWorker } from "./issuance/queue/queue-worker";
import { RedisSetStrategy } from "./issuance/redis-set-strategy";
import { SoldOutMemory } from "./issuance/sold-out/sold-out-memory";
import { STRATEGIES } from "./issuance/strategy-names";
import { HoldSweeper } from "./issuance/hold-sweeper";
import type { IssuanceStrategy } from "./issuance/types";
import { UncertainWrites } from "./issuance/uncertain-writes";
import type { Logger } from "./logger";
import { Metrics } from "./metrics";
import { SaleFeed } from "./monitor/sale-feed";
import { watchedCoupons } from "./monitor/watched-coupons";
import { closeRedis, createRedis, type RedisClient } from "./redis/client";

export interface Services {
  readonly deps: AppDeps;
  readonly db: Database;
  readonly redis: RedisClient;
  /**
   * Starts this process's background work: the queue worker, the hold
   * sweeper and the drift check. Only a serving process calls it; tools that
   * merely use the parts (reconcile) must not drain queues or settle holds.
   */
  start(): void;
  /** Settles work in hand, then closes Redis and PostgreSQL; correct whether or not `start` ran. */
  close(): Promise<void>;
}

/**
 * A few thousand hot coupons, and 16 MB of holders' ids (8 bytes each) over
 * all of them: a coupon with more holders is not remembered, nor one with
 * more than 10,000 holds or queue entries still unsettled (until they settle).
 */
const SOLD_OUT_MEMORY_BOUNDS = { maxCoupons: 5_000, maxHolders: 2_000_000, maxWaiting: 10_000 };

/** Builds everything the app needs from the configuration; starts nothing (see `Services.start`). */
export function createServices(config: Config, logger: Logger, metrics = new Metrics()): Services {
  const db = createDatabase(config, { statement: () => metrics.dbStatements.inc(), transaction: () => metrics.dbTransactions.inc() });
  const redis = createRedis(config);
  const repo = new CouponRepository(db);
  const ledger = new Ledger(db.pool);
  const catalog = new CouponCatalog(ledger);
  const events = new CouponEvents(redis, { staleMs: config.couponEventsStaleMs, listenUrl: config.redisEventsUrl });
  const store = new CouponStore(redis, ledger, {
    answerWithinMs: config.redisCommandTimeoutMs,
    onRebuilt: (couponId, holders) => {
      metrics.redisRebuilds.inc({ kind: holders ? "reload" : "first_load" });
      logger.info({ couponId, holders }, "coupon state loaded into Redis from PostgreSQL");
    },
    onStale: (couponId) => catalog.forget(couponId),
  });
  const commit = new GroupCommit(ledger, { maxBatch: 1_000, maxQueued: 50_000, onBatch: (n) => metrics.groupCommitBatch.observe(n) });
  const uncertain = new UncertainWrites(ledger, logger);

  const holds = new HoldStore(redis);
  const queues = new QueueStore(redis);
  const sweeper = new HoldSweeper(
    holds,
    ledger,
    logger,
    {
      settled: (written, refused) => metrics.holdsSettled(written, refused),
      // A refused hold means Redis admitted past the ledger, unless Redis does not admit for that coupon at all.
      drift: (couponId) =>
        void catalog.get(couponId).then(
          (c) => c && strategies[c.strategy].usesRedis && store.repairSoon(couponId),
          () => undefined,
        ),
    },
    { holdMs: config.holdTimeoutMs, tickMs: Math.min(1_000, Math.ceil(config.holdTimeoutMs / 3)), batchSize: 1_000 },
  );
  const postgres = new PostgresStrategy(ledger, uncertain, sweeper);
  const redisSet = new RedisSetStrategy(store, holds, ledger, commit, sweeper, logger, config.holdTimeoutMs);
  const worker = new QueueWorker(
    queues,
    ledger,
    commit,
    logger,
    {
      batch: (n) => metrics.queueBatch.observe(n),
      persisted: (admittedAt) => {
        const now = Date.now();
        for (const t of admittedAt) metrics.queueAdmissionToRow.observe((now - t) / 1000);
      },
      deadLetters: (n) => metrics.queueDeadLetters.inc(n),
      drift: (couponId) => store.repairSoon(couponId),
    },
    { batchSize: config.queueBatchSize, visibilityTimeoutMs: config.queueVisibilityTimeoutMs, tickMs: 1_000 },
    (couponId) => catalog.get(couponId),
  );
  // Read at scrape time, no polling: harmless to register before start().
  metrics.trackQueueDepth(() => worker.depth());
  const queue = new QueueStrategy(store, ledger, worker, new OutcomeWaiter(redis, queues));
  // Redlock needs independent nodes; without them the lock lives beside the coupon's keys.
  const lockNodes = config.redlockNodes?.map((redisUrl, i) =>
    createRedis({ ...config, redisUrl, redisClusterNodes: undefined }, `redlock-${i}`),
  );
  const distributedLock = createLock(lockNodes ?? [redis], {
    registry: metrics.registry,
    onError: (err) => logger.warn({ err }, "lock trouble"),
  });
  const lockOptions = { waitMs: config.lockWaitMs, leaseMs: config.lockLeaseMs, faultPauseMs: config.lockFaultPauseMs };
  const lock = new LockStrategy(store, ledger, distributedLock, lockOptions, uncertain, sweeper);
  const soldOut = config.soldOutMemoryTtlMs
    ? new SoldOutMemory(
        events,
        {
          answered: (answer) => metrics.soldOutFromMemory.inc({ answer }),
          invalidated: (cause, n) => metrics.soldOutInvalidations.inc({ cause }, n),
          untrusted: () => metrics.soldOutUntrusted.inc(),
        },
        {
          ...SOLD_OUT_MEMORY_BOUNDS,
          ttlMs: config.soldOutMemoryTtlMs,
          confirmWithinMs: config.redisCommandTimeoutMs,
          holders: (couponId) => store.admittedUserIds(couponId),
          waiting: { count: (couponId) => store.waitingCount(couponId), userIds: (couponId) => store.waitingUserIds(couponId) },
        },
      )
    : undefined;
  const remember = (s: IssuanceStrategy) => soldOut?.around(s) ?? s;
  const strategies: StrategySet = { "redis-set": remember(redisSet), queue: remember(queue), lock: remember(lock), postgres };
  const issuance = new IssuanceService(
    catalog,
    strategies,
    metrics,
    uncertain,
    config.redisFallback === "postgres" ? postgres : undefined,
  );
  const saleCopies = new SaleCopies(store, (id) => repo.find(id));
  const admin = new CouponAdmin(repo, ledger, catalog, store, strategies, saleCopies, new AuditLog(db));
  const drift = new DriftMonitor(
    ledger,
    store,
    logger,
    { measured: (readings) => metrics.setDrift(readings), failed: (n) => metrics.driftCheckFailures.inc(n) },
    {
      strategies: STRATEGIES.filter((name) => strategies[name].usesRedis),
      intervalMs: config.driftCheckIntervalMs,
      maxCoupons: config.driftCheckMaxCoupons,
    },
  );
  const saleFeed = new SaleFeed({
    coupons: () => watchedCoupons(admin),
    queueDepth: (couponId) => queues.waiting(couponId),
    answers: () => metrics.salesAcrossProcesses(),
  });

  const readiness = async () => {
    const [redisOk, pgOk] = await Promise.all([
      redis.ping().then(() => true, () => false),
      db.pool.query("SELECT 1").then(() => true, () => false),
    ]);
    return { redis: redisOk, postgres: pgOk };
  };

  let started = false;
  return {
    db,
    redis,
    deps: {
      adminTokens: config.adminTokens,
      tokens: config.shopperAuth === "jwt" ? createTokenVerifier(config.jwt!) : undefined,
      limits: new IssueLimits({ user: config.rateLimitUser, ip: config.rateLimitIp }),
      holdings: (userId, limit, beforeId) => repo.holdings(userId, limit, beforeId),
      admin,
      issuance,
      readiness,
      metrics,
      logger,
      benchNoopRoute: config.benchNoopRoute,
      saleFeed,
      trustProxy: config.trustProxy,
      dashboardSessionMs: config.dashboardSessionMs,
    },
    start() {
      if (started) return;
      started = true;
      events.start();
      sweeper.start();
      worker.start();
      drift.start();
    },
    async close() {
      await drift.close();
      saleFeed.close();
      await issuance.close();
      await commit.settled();
      await sweeper.close();
      await uncertain.close();
      await soldOut?.close();
      await events.close();
      await Promise.all([closeRedis(redis), ...(lockNodes ?? []).map(closeRedis), db.close()]);
    },
  };
}
