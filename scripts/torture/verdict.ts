/**
 * The verdict of one strategy's torture run: what every shopper was told,
 * when, and what the faults were, against what PostgreSQL holds at the end.
 * Pure (no I/O), so each way a run can go wrong is unit-tested on made-up
 * records. Where a rule could be read two ways, it takes the stricter one
 * and says so.
 */
import { percentile } from "../load/warm-connections";
import type { FaultKind } from "./args";
import type { FaultRecord, RequestRecord, Resolution } from "./types";

export interface Ledger {
  /** userId of every UserCoupon row of the coupon. */
  rows: readonly string[];
  issuedCount: number;
  totalQuantity: number;
}

export interface VerdictInput {
  /** The N the coupon was created with. */
  quantity: number;
  records: readonly RequestRecord[];
  faults: readonly FaultRecord[];
  /** Last polled status of every user who got a 202. */
  resolutions: ReadonlyMap<string, Resolution>;
  ledger: Ledger;
}

export interface CheckRow {
  id: string;
  label: string;
  ok: boolean;
  /** How many cases broke the rule (0 when ok), or, for a note, how many it covers. */
  count: number;
  /** Up to EXAMPLES userIds. */
  examples: string[];
  detail: string;
}

export interface LatencySummary {
  answers: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Verdict {
  ok: boolean;
  checks: CheckRow[];
  /** Reported, never a violation: e.g. SOLD_OUTs that a later flush made untrue. */
  notes: CheckRow[];
  /** Requests by "status CODE", e.g. "409 SOLD_OUT", "0 no answer". */
  answers: Record<string, number>;
  resolutions: Record<Resolution, number>;
  latency: { healthy: LatencySummary; duringFaults: LatencySummary };
  figures: {
    requests: number;
    finalWaveRequests: number;
    users: number;
    rows: number;
    issuedCount: number;
    totalQuantity: number;
    answers503: number;
    noAnswer: number;
    noAnswerKilled: number;
    noAnswerTimeout: number;
    /** Answers that came while a fault of that kind was in effect. */
    answeredDuringFault: Partial<Record<FaultKind, number>>;
  };
}

const EXAMPLES = 5;

/** Everything one user was told. */
interface UserAnswers {
  firstSent: number;
  /** When they were first told 201 / 202 / ALREADY_ISSUED, or cut off by a kill: when their place was taken at the latest. */
  firstWin: number;
  issued: number; // 201
  pending: number; // 202
  alreadyIssued: number; // 409 ALREADY_ISSUED
  soldOut: number; // 409 SOLD_OUT
  unavailable: number; // 503
  other: number; // any other answer
  noAnswerKilled: number; // no answer, while its process was being killed
  noAnswerOther: number; // no answer otherwise (timeout, reset)
}

const overlaps = (r: RequestRecord, f: FaultRecord) => r.sentAt <= f.end && r.answeredAt >= f.start;

/** A request cut off by a kill of the very process it was sent to. */
const cutByKill = (r: RequestRecord, faults: readonly FaultRecord[]) =>
  r.status === 0 && faults.some((f) => f.kind === "kill" && f.process === r.process && overlaps(r, f));

function summarise(records: readonly RequestRecord[], faults: readonly FaultRecord[]): Map<string, UserAnswers> {
  const users = new Map<string, UserAnswers>();
  for (const r of records) {
    let u = users.get(r.userId);
    if (!u) {
      u = { firstSent: r.sentAt, firstWin: Infinity, issued: 0, pending: 0, alreadyIssued: 0, soldOut: 0, unavailable: 0, other: 0, noAnswerKilled: 0, noAnswerOther: 0 };
      users.set(r.userId, u);
    }
    u.firstSent = Math.min(u.firstSent, r.sentAt);
    if (r.status === 201 || r.status === 202 || (r.status === 409 && r.code === "ALREADY_ISSUED") || (r.status === 0 && cutByKill(r, faults))) {
      u.firstWin = Math.min(u.firstWin, r.answeredAt);
    }
    if (r.status === 0) {
      if (cutByKill(r, faults)) u.noAnswerKilled++;
      else u.noAnswerOther++;
    } else if (r.status === 201) u.issued++;
    else if (r.status === 202) u.pending++;
    else if (r.status === 409 && r.code === "ALREADY_ISSUED") u.alreadyIssued++;
    else if (r.status === 409 && r.code === "SOLD_OUT") u.soldOut++;
    else if (r.status === 503) u.unavailable++;
    else u.other++;
  }
  return users;
}

export function judge(input: VerdictInput): Verdict {
  const { quantity, records, faults, resolutions, ledger } = input;
  const users = summarise(records, faults);
  const holders = new Set<string>();
  const duplicates = new Set<string>();
  for (const id of ledger.rows) (holders.has(id) ? duplicates : holders).add(id);

  const checks: CheckRow[] = [
    row("I1", "I1 rows ≤ limit, issuedCount = rows",
      ledger.rows.length <= ledger.totalQuantity && ledger.issuedCount === ledger.rows.length,
      ledger.rows.length > ledger.totalQuantity ? ledger.rows.length - ledger.totalQuantity : Math.abs(ledger.issuedCount - ledger.rows.length),
      [], `${ledger.rows.length} rows, limit ${ledger.totalQuantity}, issuedCount ${ledger.issuedCount}`),
    row("I2", "I2 no user twice", duplicates.size === 0, duplicates.size, [...duplicates],
      duplicates.size ? `${duplicates.size} users with more than one row` : `${holders.size} distinct holders`),
    toldIssuedHaveRows(users, resolutions, holders),
    rowsWereAnnounced(users, holders),
    pendingResolved(users, resolutions, holders),
  ];
  const soldOut = falseSoldOuts(records, faults, users, holders);
  checks.push(soldOut.check);
  checks.push(row("EXACTLY_N", "exactly N rows after the final wave", ledger.rows.length === quantity,
    Math.abs(quantity - ledger.rows.length), [], `${ledger.rows.length} rows, N = ${quantity}`));

  return {
    ok: checks.every((c) => c.ok),
    checks,
    notes: [soldOut.excused],
    answers: answerCounts(records),
    resolutions: resolutionCounts(users, resolutions),
    latency: latencies(records, faults),
    figures: figures(records, faults, users, ledger),
  };
}

/**
 * I4a. Told they hold the coupon: a 201, a 409 ALREADY_ISSUED (the service
 * vouching for a win as much as a 201 does), or a 202 that resolved to
 * ISSUED. Each must have a row.
 */
function toldIssuedHaveRows(users: Map<string, UserAnswers>, resolutions: ReadonlyMap<string, Resolution>, holders: Set<string>): CheckRow {
  const bad: string[] = [];
  for (const [id, u] of users) {
    const told = u.issued > 0 || u.alreadyIssued > 0 || (u.pending > 0 && resolutions.get(id) === "ISSUED");
    if (told && !holders.has(id)) bad.push(id);
  }
  return row("I4a", "I4a told ISSUED (201, 409 ALREADY_ISSUED, 202→ISSUED) ⇒ row", bad.length === 0, bad.length, bad,
    bad.length ? `${bad.length} users told they hold it have no row` : "every one has a row");
}

/**
 * I4b. A row's user must have been told 201, 202 or 409 ALREADY_ISSUED, or
 * have lost a request's answer. Strict reading of "no answer": only a
 * request cut off because the harness killed the process serving it
 * excuses a row. A request the service simply never answered within 10 s
 * does not: the service promises an answer (503 within a second) and must
 * not leave a shopper guessing while it issues them.
 */
function rowsWereAnnounced(users: Map<string, UserAnswers>, holders: Set<string>): CheckRow {
  const bad: string[] = [];
  const told503 = [];
  for (const id of holders) {
    const u = users.get(id);
    if (u && (u.issued > 0 || u.pending > 0 || u.alreadyIssued > 0 || u.noAnswerKilled > 0)) continue;
    bad.push(id);
    if (u && u.unavailable > 0) told503.push(id);
  }
  const detail = bad.length
    ? `${bad.length} rows whose user was never told 201/202/ALREADY_ISSUED (${told503.length} of them got a 503)`
    : `all ${holders.size} rows were announced`;
  return row("I4b", "I4b row ⇒ told 201/202/ALREADY_ISSUED or cut off by a kill", bad.length === 0, bad.length, bad, detail);
}

/**
 * Every 202 must resolve to ISSUED (with a row), REJECTED or NOT_REQUESTED
 * (without one). Still PENDING after the settle time, or never answered by
 * the status route, is a violation: the shopper would be left hanging.
 */
function pendingResolved(users: Map<string, UserAnswers>, resolutions: ReadonlyMap<string, Resolution>, holders: Set<string>): CheckRow {
  const bad: string[] = [];
  const reasons = { unresolved: 0, issuedNoRow: 0, refusedWithRow: 0 };
  for (const [id, u] of users) {
    if (u.pending === 0) continue;
    const r = resolutions.get(id) ?? "UNKNOWN";
    if (r === "PENDING" || r === "UNKNOWN") reasons.unresolved++;
    else if (r === "ISSUED" && !holders.has(id)) reasons.issuedNoRow++;
    else if ((r === "REJECTED" || r === "NOT_REQUESTED") && holders.has(id)) reasons.refusedWithRow++;
    else continue;
    bad.push(id);
  }
  const detail = bad.length
    ? `${reasons.unresolved} still PENDING/unknown, ${reasons.issuedNoRow} ISSUED without a row, ${reasons.refusedWithRow} REJECTED/NOT_REQUESTED with a row`
    : "every 202 resolved consistently with the ledger";
  return row("RESOLVE_202", "202 resolves to ISSUED+row / REJECTED / NOT_REQUESTED", bad.length === 0, bad.length, bad, detail);
}

/**
 * A SOLD_OUT received at t is false if a user whose first request was sent
 * after t ends with a row: a place was free after the service said there
 * were none. Strict reading: any such later winner counts, whatever held the
 * place meanwhile (an orphaned admission, a write that failed and was
 * undone): the contract allows SOLD_OUT only when the places are really
 * taken. The one excuse is a flush (Redis lost its data, which really frees
 * places), and only one that can have caused the later wins: one that may
 * have run after Redis decided the SOLD_OUT (the decision came after the
 * request was sent; the flush ran before its own call returned) and before
 * the first of those later winners was told it won. Excused answers are
 * reported as a note, not a violation.
 */
function falseSoldOuts(records: readonly RequestRecord[], faults: readonly FaultRecord[], users: Map<string, UserAnswers>, holders: Set<string>) {
  // Winners by arrival, latest first, each with the earliest win time among itself and every later arrival.
  const winners = [...holders]
    .map((id) => ({ id, at: users.get(id)?.firstSent ?? -Infinity, wonAt: users.get(id)?.firstWin ?? Infinity }))
    .sort((a, b) => b.at - a.at);
  const earliestWinFrom: number[] = [];
  winners.forEach((w, i) => (earliestWinFrom[i] = Math.min(w.wonAt, i > 0 ? earliestWinFrom[i - 1]! : Infinity)));
  const flushes = faults.filter((f) => f.kind === "flush");
  /** Index of the last (earliest-arriving) winner who arrived after t, or -1. */
  const laterWinners = (t: number) => {
    let [lo, hi] = [0, winners.length]; // winners[0..lo) arrived after t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (winners[mid]!.at > t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  const falseAt: RequestRecord[] = [];
  const excusedAt: RequestRecord[] = [];
  for (const r of records) {
    if (r.status !== 409 || r.code !== "SOLD_OUT") continue;
    const last = laterWinners(r.answeredAt);
    if (last < 0) continue;
    const excusing = flushes.some((f) => f.end > r.sentAt && f.start < earliestWinFrom[last]!);
    (excusing ? excusedAt : falseAt).push(r);
  }
  const describe = (list: RequestRecord[]) => {
    if (!list.length) return "";
    const first = list.reduce((a, b) => (a.answeredAt < b.answeredAt ? a : b));
    const later = winners.slice(0, laterWinners(first.answeredAt) + 1);
    return `${list.length} SOLD_OUT answers to ${new Set(list.map((r) => r.userId)).size} users, the first at ${sec(first.answeredAt)}; ` +
      `${later.length} users arriving after it won (e.g. ${later.slice(-3).map((w) => `${w.id} at ${sec(w.at)}`).join(", ")})`;
  };
  const victims = (list: RequestRecord[]) => [...new Set(list.map((r) => r.userId))];
  return {
    check: row("FALSE_SOLD_OUT", "no SOLD_OUT while a later arrival still won", falseAt.length === 0, falseAt.length, victims(falseAt),
      falseAt.length ? describe(falseAt) : "none"),
    excused: {
      id: "SOLD_OUT_BEFORE_FLUSH",
      label: "SOLD_OUT made untrue by a later flush (not a violation)",
      ok: true,
      count: excusedAt.length,
      examples: victims(excusedAt).slice(0, EXAMPLES),
      detail: excusedAt.length ? describe(excusedAt) : "none",
    },
  };
}

function answerCounts(records: readonly RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const key = `${r.status} ${r.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function resolutionCounts(users: Map<string, UserAnswers>, resolutions: ReadonlyMap<string, Resolution>): Record<Resolution, number> {
  const counts: Record<Resolution, number> = { ISSUED: 0, REJECTED: 0, NOT_REQUESTED: 0, PENDING: 0, UNKNOWN: 0 };
  for (const [id, u] of users) if (u.pending > 0) counts[resolutions.get(id) ?? "UNKNOWN"]++;
  return counts;
}

/** Answered requests split by whether any fault was in effect while they were in flight. */
function latencies(records: readonly RequestRecord[], faults: readonly FaultRecord[]) {
  const healthy: number[] = [];
  const faulty: number[] = [];
  for (const r of records) {
    if (r.status === 0) continue;
    (faults.some((f) => overlaps(r, f)) ? faulty : healthy).push(r.answeredAt - r.sentAt);
  }
  const summary = (list: number[]): LatencySummary => {
    list.sort((a, b) => a - b);
    return { answers: list.length, p50Ms: Math.round(percentile(list, 50)), p99Ms: Math.round(percentile(list, 99)) };
  };
  return { healthy: summary(healthy), duringFaults: summary(faulty) };
}

function figures(records: readonly RequestRecord[], faults: readonly FaultRecord[], users: Map<string, UserAnswers>, ledger: Ledger): Verdict["figures"] {
  const duringFault: Partial<Record<FaultKind, number>> = {};
  let answers503 = 0;
  let noAnswer = 0;
  let noAnswerKilled = 0;
  let noAnswerTimeout = 0;
  for (const r of records) {
    if (r.status === 503) answers503++;
    if (r.status === 0) {
      noAnswer++;
      if (cutByKill(r, faults)) noAnswerKilled++;
      if (r.error === "timeout") noAnswerTimeout++;
      continue;
    }
    for (const f of faults) {
      if (r.answeredAt >= f.start && r.answeredAt <= f.end) duringFault[f.kind] = (duringFault[f.kind] ?? 0) + 1;
    }
  }
  return {
    requests: records.length,
    finalWaveRequests: records.filter((r) => r.phase === "final").length,
    users: users.size,
    rows: ledger.rows.length,
    issuedCount: ledger.issuedCount,
    totalQuantity: ledger.totalQuantity,
    answers503,
    noAnswer,
    noAnswerKilled,
    noAnswerTimeout,
    answeredDuringFault: duringFault,
  };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function row(id: string, label: string, ok: boolean, count: number, examples: string[], detail: string): CheckRow {
  return { id, label, ok, count: ok ? 0 : count, examples: examples.slice(0, EXAMPLES), detail };
}
