import type { FaultKind } from "./args";

/** Which part of a strategy's run sent a request. */
export type Phase = "crowd" | "final";

/** One shopper request, as the harness saw it. Times are ms on the harness clock (see clock.ts). */
export interface RequestRecord {
  userId: string;
  /** Index of the API process it was sent to. */
  process: number;
  sentAt: number;
  /** When the answer (or the socket error / timeout) came. */
  answeredAt: number;
  /** 0: no answer. */
  status: number;
  /** Problem code, ISSUED, PENDING, or "no answer". */
  code: string;
  /** For no answer: the socket error, or "timeout". */
  error?: string;
  phase: Phase;
}

/** One fault as it really happened. */
export interface FaultRecord {
  kind: FaultKind;
  start: number;
  /** When its effect was over: the process ready again, the last delayed reply out, the proxy open again. */
  end: number;
  process?: number;
  delayMs?: number;
}

/** What GET /coupons/:id/issuances/:userId said last, for a user who got a 202; UNKNOWN if it never answered. */
export type Resolution = "ISSUED" | "REJECTED" | "NOT_REQUESTED" | "PENDING" | "UNKNOWN";
