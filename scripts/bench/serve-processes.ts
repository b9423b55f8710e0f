import cluster from "node:cluster";

/**
 * Runs `start` in WORKERS processes sharing the port (Node cluster), as the
 * service does, so `--workers K` compares K service processes with K
 * reference processes. SIGTERM to the primary stops every worker.
 */
export function serveProcesses(start: () => void): void {
  const workers = Number(process.env.WORKERS ?? 1);
  if (!cluster.isPrimary || workers <= 1) {
    start();
    return;
  }
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once("SIGTERM", () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  });
  cluster.on("exit", () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
}
