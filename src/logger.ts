import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    // Never let a secret reach the logs, whichever object carries it.
    redact: ["req.headers.authorization", "headers.authorization", "adminToken", "adminTokens", "jwt.key.secret"],
  });
}
