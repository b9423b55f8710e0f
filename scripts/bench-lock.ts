/**
 * Lock benchmark: critical sections per second with 1, 10 and 100
 * contenders on one resource, the time a burst of one-shot requests takes,
 * and handoff latency (a waiter's release-to-start time), for our lock next
 * to redlock v4 (npm), on the same Redis, in the same process.
 *
 *   npx tsc -p . && (cd src && find . -name '*.lua' -exec install -D {} ../dist/src/{} \;)
 *   node dist/scripts/bench-lock.js        # REDIS_URL, default redis://127.0.0.1:6379
 */
import { randomBytes } from "node:crypto";
import { setImmediate as tick, setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { createLock, LockTimeoutError } from "../src/lock";
import { lockKeys } from "../src/lock";
import { closeRedis } from "../src/redis/client";
import { renderTable } from "./bench/table";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const CONTENDERS = [1, 10, 100];
const RUN_MS = 3_000;
const SLICES = 3;
/** Untimed run of each subject first, so whoever goes first is not measured cold. */
const WARM_UP_MS = 600;
const HANDOFF_MS = 3_000;
const MAX_HANDOFFS_PER_SLICE = 40;
const BURST_REQUESTS = 100;
/** How long the holder keeps the lock once the waiter is waiting. */
const HOLD_MS = 10;
const WAIT_MS = 10_000;
const LEASE_MS = 5_000;
/** redlock v4 defaults, spelled out because the table depends on them. */
const REDLOCK_RETRY_DELAY_MS = 200;
const REDLOCK_RETRY_JITTER_MS = 100;

/** One lock implementation, as the bench drives it. */
interface Subject {
  readonly name: string;
  /** Takes the lock, waiting up to WAIT_MS, and returns how to release it. */
  take(resource: string): Promise<() => Promise<void>>;
  /** Whether `err` means "still held after waiting" rather than a fault. */
  isTimeout(err: unknown): boolean;
  /** Redis keys the bench left behind for `resource`. */
  leftovers(resource: string): string[];
}

// redlock v4 ships no types; this is the part the bench uses.
interface RedlockV4 {
  lock(resource: string, ttlMs: number): Promise<{ unlock(): Promise<void> }>;
}
type RedlockV4Class = new (clients: Redis[], options: Record<string, number>) => RedlockV4;

function ours(client: Redis) {
  const lock = createLock([client]);
  const subject: Subject = {
    name: "ours",
    async take(resource) {
      const held = await lock.acquire(resource, { waitMs: WAIT_MS, leaseMs: LEASE_MS });
      return () => lock.release(held);
    },
    isTimeout: (err) => err instanceof LockTimeoutError,
    leftovers: (resource) => [lockKeys(resource, "").lock, lockKeys(resource, "").fence],
  };
  return { subject, close: () => lock.close() };
}

function redlockV4(client: Redis): Subject {
  const Redlock = require("redlock") as RedlockV4Class;
  const redlock = new Redlock([client], {
    retryDelay: REDLOCK_RETRY_DELAY_MS,
    retryJitter: REDLOCK_RETRY_JITTER_MS,
    retryCount: Math.ceil(WAIT_MS / REDLOCK_RETRY_DELAY_MS),
  });
  return {
    name: "redlock v4",
    async take(resource) {
      const held = await redlock.lock(resource, LEASE_MS);
      return () => held.unlock();
    },
    isTimeout: (err) => err instanceof Error && err.name === "LockError",
    leftovers: (resource) => [resource],
  };
}

const newResource = () => `bench:lock:${randomBytes(4).toString("hex")}`;

/**
 * `contenders` loops of acquire → tiny async section → release for `runMs`.
 * Only sections finished inside the window count toward throughput (waiters
 * still queued at its end drain afterwards, at very different speeds for the
 * two locks); every wait counts toward the wait figures.
 */
async function throughput(subject: Subject, resource: string, contenders: number, runMs: number): Promise<Sections> {
  const deadline = performance.now() + runMs;
  const waits: number[] = [];
  let inWindow = 0;
  let timeouts = 0;
  await Promise.all(
    Array.from({ length: contenders }, async () => {
      while (performance.now() < deadline) {
        const asked = performance.now();
        try {
          const release = await subject.take(resource);
          waits.push(performance.now() - asked);
          await tick();
          await release();
          if (performance.now() <= deadline) inWindow++;
        } catch (err) {
          if (!subject.isTimeout(err)) throw err;
          timeouts++;
        }
      }
    }),
  );
  return { inWindow, waits, timeouts, ms: runMs };
}

interface Sections {
  readonly inWindow: number;
  readonly waits: number[];
  readonly timeouts: number;
  readonly ms: number;
}

/** One-shot contenders arriving at once, as a burst of shoppers for one coupon would: ms until the last is through. */
async function burst(subject: Subject, resource: string, requests: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: requests }, async () => {
      const release = await subject.take(resource);
      await tick();
      await release();
    }),
  );
  return performance.now() - started;
}

/** Time from a holder's release to the start of the waiter already waiting, per handoff, for `runMs`. */
async function handoffs(subject: Subject, resource: string, runMs: number): Promise<number[]> {
  const samples: number[] = [];
  const deadline = performance.now() + runMs;
  while (performance.now() < deadline && samples.length < MAX_HANDOFFS_PER_SLICE) {
    const release = await subject.take(resource);
    const next = subject.take(resource).then((releaseNext) => ({ releaseNext, at: performance.now() }));
    await sleep(HOLD_MS);
    const releasedAt = performance.now();
    await release();
    const { releaseNext, at } = await next;
    samples.push(at - releasedAt);
    await releaseNext();
  }
  return samples;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

interface Row {
  readonly label: string;
  readonly values: readonly [number, number];
  readonly digits: number;
  readonly note?: string;
}

function printTable(rows: readonly Row[], names: readonly string[]): void {
  const cells = rows.map((r) => {
    const ratio = r.values[0] / r.values[1];
    return [r.label, ...r.values.map((v) => v.toFixed(r.digits)), ratio.toFixed(ratio < 0.1 ? 3 : 2), r.note ?? ""];
  });
  console.log(renderTable({ title: "Ours against redlock", headers: ["", ...names, "ours / redlock", ""], numeric: [1, 2, 3], rows: cells }));
}

async function main(): Promise<void> {
  const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL)] as const;
  const ourLock = ours(clients[0]);
  const subjects = [ourLock.subject, redlockV4(clients[1])] as const;
  const resources = subjects.map(newResource);
  /**
   * Runs `measure` SLICES times per subject, alternating ours and redlock, so
   * a change in background load lands on both alike.
   */
  const alternate = async <T>(measure: (subject: Subject, resource: string) => Promise<T>): Promise<[T[], T[]]> => {
    const results: [T[], T[]] = [[], []];
    for (let slice = 0; slice < SLICES; slice++) {
      for (const i of [0, 1] as const) results[i].push(await measure(subjects[i], resources[i]!));
    }
    return results;
  };
  try {
    await alternate((subject, resource) => throughput(subject, resource, 10, WARM_UP_MS / SLICES));
    const rows: Row[] = [];
    for (const contenders of CONTENDERS) {
      const [ourRuns, theirRuns] = await alternate((subject, resource) => throughput(subject, resource, contenders, RUN_MS / SLICES));
      const [a, b] = [aggregate(ourRuns), aggregate(theirRuns)];
      const label = `${contenders} contender${contenders === 1 ? "" : "s"}`;
      const timeouts = a.timeouts + b.timeouts > 0 ? `timeouts: ${a.timeouts} / ${b.timeouts}` : "";
      rows.push({ label: `sections/s, ${label}`, values: [a.perSecond, b.perSecond], digits: 0, note: timeouts });
      if (contenders > 1) {
        const max = `max ${Math.max(...a.waits).toFixed(0)} / ${Math.max(...b.waits).toFixed(0)} ms`;
        rows.push({ label: `acquire wait p99 (ms), ${label}`, values: [percentile(a.waits, 99), percentile(b.waits, 99)], digits: 1, note: max });
      }
    }
    const [x, y] = await alternate((subject, resource) => burst(subject, resource, BURST_REQUESTS));
    rows.push({ label: `burst of ${BURST_REQUESTS} one-shot requests (ms)`, values: [percentile(x, 50), percentile(y, 50)], digits: 1, note: `median of ${SLICES}` });
    const [ourHandoffs, theirHandoffs] = await alternate((subject, resource) => handoffs(subject, resource, HANDOFF_MS / SLICES));
    const [h, k] = [ourHandoffs.flat(), theirHandoffs.flat()];
    const counts = `n = ${h.length} / ${k.length}`;
    for (const p of [50, 99]) rows.push({ label: `handoff p${p} (ms)`, values: [percentile(h, p), percentile(k, p)], digits: 2, note: counts });

    console.log(
      `Redis ${REDIS_URL}; ${RUN_MS / 1000} s per throughput figure, in ${SLICES} slices alternating ours and redlock;` +
        ` redlock v4 retryDelay ${REDLOCK_RETRY_DELAY_MS} ms ± ${REDLOCK_RETRY_JITTER_MS} ms\n`,
    );
    printTable(rows, subjects.map((s) => s.name));
  } finally {
    for (const [i, subject] of subjects.entries()) await clients[i].del(...subject.leftovers(resources[i]!));
    await ourLock.close();
    await Promise.all(clients.map(closeRedis));
  }
}

function aggregate(runs: readonly Sections[]) {
  const sections = runs.reduce((n, r) => n + r.inWindow, 0);
  const ms = runs.reduce((total, r) => total + r.ms, 0);
  return { perSecond: sections / (ms / 1000), waits: runs.flatMap((r) => r.waits), timeouts: runs.reduce((n, r) => n + r.timeouts, 0) };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
