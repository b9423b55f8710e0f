/**
 * Moved to scripts/support/redis-servers.ts, so the benchmarks can start a
 * redis-server too; kept here so tests written against this path (one is in
 * progress) still import it. New code imports the new path.
 */
export * from "../../scripts/support/redis-servers";
