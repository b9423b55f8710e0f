import { createServer, type Server } from "node:http";
import type { Config } from "./config";
import { migrate } from "./db/migrate";
import { createApp } from "./http/app";
import type { Logger } from "./logger";
import { Metrics } from "./metrics";
import { waitUntilReady } from "./redis/client";
import { createServices, type Services } from "./services";

/**
 * Node's default (16 KiB) would answer an oversized bearer token with its own
 * bare 431 before the app sees it; with room to spare, the app refuses it as
 * a 401 problem (TOKEN_TOO_LARGE, over 8 KiB). Beyond this, Node's 431 stands.
 */
const MAX_HEADER_BYTES = 32 * 1024;

export interface RunningServer {
  readonly server: Server;
  readonly services: Services;
  readonly port: number;
  /** Stops accepting, finishes requests in flight, then closes Redis and PostgreSQL. */
  stop(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger, metrics = new Metrics()): Promise<RunningServer> {
  const services = createServices(config, logger, metrics);
  try {
    await waitUntilReady(services.redis, 10_000);
  } catch (err) {
    // Serve anyway: Redis may come back, readiness says so, and REDIS_FALLBACK may apply.
    logger.warn({ err: (err as Error).message }, "Redis is not reachable at start");
  }
  // Only a serving process drains queues and settles holds.
  services.start();
  const app = createApp(services.deps);
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app).listen(config.port);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
  } catch (err) {
    // Nobody gets a handle to stop: hand back the background work and the connections here.
    await services.close();
    throw err;
  }
  // Keep-alive sockets must outlive a load balancer's idle timeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = (server.address() as { port: number }).port;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Dashboard streams never finish by themselves: end them, or closing would wait for the deadline.
      services.deps.saleFeed.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections go as soon as their request in flight is answered.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(sweep);
      clearTimeout(deadline);
      await services.close();
    })());
  return { server, services, port, stop };
}

/** Migrates the database (creating it if missing) before any process serves. */
export async function prepareDatabase(config: Config, logger: Logger): Promise<void> {
  const { applied, databaseCreated } = await migrate(config.databaseUrl);
  if (databaseCreated) logger.info("created the database");
  if (applied.length) logger.info({ applied }, "applied migrations");
}
