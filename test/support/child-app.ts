import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { TestEnv } from "./test-env";
import { freePort } from "../../scripts/support/free-port";

const MAIN = path.resolve(__dirname, "../../dist/src/main.js");

export interface ChildApp {
  readonly url: string;
  readonly process: ChildProcess;
  readonly output: () => string;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited(): Promise<number | string>;
}

/**
 * The built service (`npm test` builds first) as a real child process,
 * sharing the env's database and Redis prefix, for tests that kill, pause or
 * signal a process. Always `kill` it in afterAll/finally.
 */
export async function spawnApp(env: TestEnv, overrides: Record<string, string> = {}): Promise<ChildApp> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: env.config.databaseUrl,
      REDIS_URL: env.config.redisUrl,
      REDIS_KEY_PREFIX: env.config.redisKeyPrefix,
      ADMIN_TOKEN: env.config.adminTokens.join(","),
      LOG_LEVEL: "warn",
      PORT: String(port),
      ...overrides,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`child app did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    process: child,
    output: () => output,
    kill: (signal) => void child.kill(signal),
    exited: () => exit,
  };
}

/** SIGTERM to each app, resolving once all have exited (their graceful shutdown included). */
export async function stopApps(apps: readonly ChildApp[]): Promise<void> {
  for (const a of apps) a.kill("SIGTERM");
  await Promise.all(apps.map((a) => a.exited()));
}
