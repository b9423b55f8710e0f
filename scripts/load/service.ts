import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { waitReady } from "./api";
import { freePort } from "../support/free-port";

/** Token of a service this script starts; long enough for the service's 16-character minimum. */
export const LOAD_ADMIN_TOKEN = "load-script-admin-token";

/** The operator token to send: ADMIN_TOKEN may list several (rotation), any of them will do. */
export const operatorToken = (env: NodeJS.ProcessEnv = process.env) => env.ADMIN_TOKEN?.split(",")[0]?.trim() || undefined;
const TAIL_LINES = 30;

export interface RunningService {
  url: string;
  adminToken: string;
  /** SIGTERM, then wait for the exit (SIGKILL after the grace period). */
  stop(): Promise<number | null>;
  /** Last lines the service printed, to explain a failure. */
  tail(): string[];
}

export interface StartOptions {
  /** Set last, so it may override LOG_LEVEL (the bench sets TEST_BENCH_NOOP_ROUTE, a profile dir...). */
  env?: Record<string, string>;
  /** Node flags before the script, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Runs this script instead of dist/src/main.js (the bench's reference servers); it must answer GET /readyz. */
  script?: string;
}

/**
 * Starts dist/src/main.js with WORKERS=processes on a free port, passing the
 * caller's DATABASE_URL / REDIS_URL / REDIS_KEY_PREFIX through, and resolves
 * once /readyz answers 200.
 */
export async function startService(processes: number, readyTimeoutMs = 60_000, options: StartOptions = {}): Promise<RunningService> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = operatorToken() ?? LOAD_ADMIN_TOKEN;
  const main = options.script ?? path.join(__dirname, "..", "..", "src", "main.js");
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), main], {
    env: { ...process.env, PORT: String(port), WORKERS: String(processes), ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? adminToken, LOG_LEVEL: "warn", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });

  // Keep the service's output out of the verdict, but remember its end for diagnosis.
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) lines.push(line);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const service: RunningService = {
    url,
    adminToken,
    tail: () => [...lines],
    stop: () => stop(child, exited),
  };
  try {
    await waitReady(url, readyTimeoutMs, () => exitCode === undefined);
  } catch (err) {
    await service.stop();
    throw new Error(`${(err as Error).message}\n${lines.join("\n")}`);
  }
  return service;
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill("SIGTERM");
  // The service drains in-flight work for up to SHUTDOWN_TIMEOUT_MS (10 s by default).
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
