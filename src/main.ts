import cluster from "node:cluster";
import { clusterMetricsFromPrimary, clusterSalesFromPrimary, serveClusterMetrics } from "./cluster-metrics";
import { ConfigError, loadConfig, type Config } from "./config";
import { createLogger, type Logger } from "./logger";
import { Metrics } from "./metrics";
import { prepareDatabase, startServer } from "./server";

/**
 * WORKERS=1 serves from this process. WORKERS=K > 1 makes this the primary
 * of a Node cluster: it migrates once, then forks K workers sharing the port.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  if (cluster.isPrimary) {
    if (config.adminTokenGenerated) {
      console.log(`ADMIN_TOKEN not set; operator token for this run: ${config.adminTokens[0]}`);
      // Workers must all accept the same token.
      process.env.ADMIN_TOKEN = config.adminTokens[0];
    }
    if (config.production && config.shopperAuth === "none") {
      logger.warn("SHOPPER_AUTH=none in production: a shopper is whoever the request body names; set SHOPPER_AUTH=jwt");
    }
    await prepareDatabase(config, logger);
    if (config.workers > 1) return runPrimary(config, logger);
  }
  await runWorker(config, logger);
}

function runPrimary(config: Config, logger: Logger): void {
  let stopping = false;
  // Any worker that gets GET /metrics (or streams the dashboard) asks here for the sum over all of them.
  serveClusterMetrics(logger);
  for (let i = 0; i < config.workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "worker died; starting another");
    cluster.fork();
  });
  const shutdown = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  logger.info({ port: config.port, workers: config.workers }, "cluster started");
}

async function runWorker(config: Config, logger: Logger): Promise<void> {
  const metrics = new Metrics();
  // Before startServer (which may wait for Redis): the primary gathers from every worker it forked.
  if (cluster.isWorker) {
    metrics.answerWith(clusterMetricsFromPrimary(metrics.registry));
    metrics.salesFrom(clusterSalesFromPrimary(metrics.sales));
  }
  const running = await startServer(config, logger, metrics);
  logger.info({ port: running.port }, "listening");
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    // Whatever hangs, the process goes; a supervisor then starts a fresh one.
    setTimeout(() => {
      logger.error("shutdown overran its deadline; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000).unref();
    running.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(`Failed to start: ${(err as Error).message}`);
  process.exit(1);
});
