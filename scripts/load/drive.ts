import autocannon from "autocannon";
import type { ShopperTokens } from "../support/shopper-tokens";
import { showProgress } from "./progress";
import { userDraw, type Recorder } from "./recorder";
import { ConnectionWarmer, percentile } from "./warm-connections";

export interface DrivePlan {
  url: string;
  /** The coupon every request is for, or a draw per request (many coupons selling at once). */
  couponId: number | (() => number);
  users: number;
  connections: number;
  requests?: number;
  durationSeconds?: number;
  seed: number;
  /** Path to drive instead of the issue route (the bench's no-op references). */
  path?: string;
  /**
   * Asked after every answer; true ends the run early (the bench stops once a
   * coupon is sold out). autocannon stops at its next sample tick, so a plan
   * with stopWhen samples every STOP_SAMPLE_MS instead of every second.
   */
  stopWhen?: () => boolean;
  /**
   * Open every connection before the clock starts (see ConnectionWarmer);
   * the figures then cover only the real requests, timed by the driver
   * itself. Duration runs only: the duration counts from the start.
   */
  warmConnections?: boolean;
  /** With a service in SHOPPER_AUTH=jwt: each request carries its user's bearer token (all minted before the run). */
  tokens?: ShopperTokens;
}

const STOP_SAMPLE_MS = 50;

const issuePath = (couponId: number) => `/coupons/${couponId}/issue`;

export interface DriveFigures {
  durationSeconds: number;
  throughputRps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  sent: number;
  answered: number;
  /** Timeouts and connection errors (autocannon counts timeouts among errors). */
  transportErrors: number;
  timeouts: number;
  /** performance.now() when the timed part began (after warming, with warmConnections). */
  startedAt: number;
}

/** The userId a connection's in-flight request carries (pipelining is 1, so there is one). */
interface ConnectionContext {
  userId?: string;
  /** A warming GET, not a shopper's request. */
  warming?: boolean;
  sentAt?: number;
}

/**
 * Drives POST /coupons/:id/issue with autocannon. Each request draws its
 * userId in setupRequest and keeps it in the connection's context, so
 * onResponse can book the answer to the right user.
 */
export async function drive(plan: DrivePlan, recorder: Recorder): Promise<DriveFigures> {
  if (plan.warmConnections && plan.durationSeconds === undefined) throw new Error("warmConnections needs a duration run");
  const draw = userDraw(plan.users, plan.seed);
  // Minted before the clock starts: autocannon builds each request synchronously.
  await plan.tokens?.prepare(Array.from({ length: plan.users }, (_, i) => String(i + 1)));
  const started = Date.now();
  const total = plan.requests !== undefined ? `/${plan.requests}` : ` (${plan.durationSeconds} s)`;
  const stopProgress = showProgress(() => {
    const p = recorder.statusCounts["202 PENDING"] ?? 0;
    return `load: sent ${recorder.sent}${total}, answered ${recorder.received}, issued ${recorder.issued}` +
      (p ? ` + ${p} pending` : "") + `, ${((Date.now() - started) / 1000).toFixed(1)} s`;
  });
  // A recorder may carry earlier runs' answers (the bench's phases): this run's figures are the difference.
  const [sent0, received0] = [recorder.sent, recorder.received];
  let instance: autocannon.Instance | undefined;
  let stopping = false;
  let stoppedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (stopping) return;
    [stopping, stoppedAt] = [true, performance.now()];
    instance?.stop();
  };
  // Warm runs time themselves: autocannon's own clock and histogram would include the warming.
  const latencies: number[] = [];
  let timedAnswers = 0;
  const warmer = plan.warmConnections
    ? new ConnectionWarmer(plan.connections, () => (timer = setTimeout(stop, plan.durationSeconds! * 1000)))
    : undefined;
  try {
    const options: autocannon.Options = {
      url: plan.url + (plan.path ?? issuePath(typeof plan.couponId === "number" ? plan.couponId : 0)),
      method: "POST",
      headers: { "content-type": "application/json" },
      connections: plan.connections,
      pipelining: 1, // one request in flight per connection, so the context names its user
      // amount takes precedence over duration in autocannon; exactly one is set.
      ...(plan.requests !== undefined
        ? { amount: plan.requests }
        : { duration: plan.durationSeconds! + (warmer ? 60 : 0) }), // a warm run is ended by its own timer
      timeout: 10,
      ...(plan.stopWhen || warmer ? { sampleInt: STOP_SAMPLE_MS } : {}),
      ...(warmer ? { setupClient: warmer.setupClient as (client: autocannon.Client) => void } : {}),
      requests: [
        {
          setupRequest: (request, context) => {
            const ctx = context as ConnectionContext;
            if (warmer && warmer.startedAt === undefined) {
              [ctx.warming, ctx.userId] = [true, undefined];
              return { ...request, method: "GET", path: "/healthz", body: undefined };
            }
            const userId = draw();
            [ctx.warming, ctx.userId, ctx.sentAt] = [false, userId, performance.now()];
            recorder.onSent(userId);
            const body = JSON.stringify({ userId: Number(userId) });
            const path = typeof plan.couponId === "number" ? request.path : issuePath(plan.couponId());
            return plan.tokens ? { ...request, path, body, headers: { ...request.headers, ...plan.tokens.headersNow(userId) } } : { ...request, path, body };
          },
          onResponse: (status, body, context) => {
            const { userId, warming, sentAt } = context as ConnectionContext;
            if (warming) return;
            if (userId !== undefined) recorder.onAnswer(userId, status, body);
            if (warmer && !stopping) {
              latencies.push(performance.now() - sentAt!);
              timedAnswers++;
            }
            if (!stopping && plan.stopWhen?.()) stop();
          },
        },
      ],
    };
    const beganAt = performance.now();
    // The callback form returns the instance, which is what can be stopped.
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    });
    const common = {
      sent: recorder.sent - sent0,
      answered: recorder.received - received0,
      transportErrors: result.errors,
      timeouts: result.timeouts,
    };
    if (!warmer) {
      return {
        ...common,
        durationSeconds: result.duration,
        throughputRps: Math.round(common.answered / Math.max(result.duration, 0.001)),
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        startedAt: beganAt,
      };
    }
    const startedAt = warmer.startedAt ?? beganAt;
    const seconds = Math.max(((stoppedAt ?? performance.now()) - startedAt) / 1000, 0.001);
    latencies.sort((a, b) => a - b);
    return {
      ...common,
      durationSeconds: seconds,
      throughputRps: Math.round(timedAnswers / seconds),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      startedAt,
    };
  } finally {
    clearTimeout(timer);
    stopProgress();
  }
}
