/**
 * The verdict of a load run: compares what every shopper was told with what
 * PostgreSQL and Redis hold afterwards (docs/guarantees.md, promises 1–4). Pure, so each way a
 * run can go wrong is unit-tested without a server.
 */

/** Everything one user was told during the run. */
export interface AnswerSummary {
  /** Requests sent for this user, answered or not. */
  sent: number;
  issued: number; // 201 ISSUED
  pending: number; // 202 PENDING
  alreadyIssued: number; // 409 ALREADY_ISSUED
  soldOut: number; // 409 SOLD_OUT
  serverError: number; // any 5xx (503 BUSY/UNAVAILABLE included)
  other: number; // anything else: the load script or the API is wrong
  /** Last polled status, for users who got a 202. */
  resolved?: "ISSUED" | "REJECTED" | "PENDING" | "NOT_REQUESTED";
}

export interface CheckInput {
  quantity: number;
  answers: ReadonlyMap<string, AnswerSummary>;
  /** userId of every UserCoupon row of the coupon, as read from PostgreSQL. */
  rows: readonly string[];
  /** Coupon."issuedCount". */
  counter: number;
  /** SCARD of the admitted set; null when the strategy keeps nothing in Redis. */
  redisCount: number | null;
  /** Answers by "status CODE", e.g. {"201 ISSUED": 100, "409 SOLD_OUT": 2900}. */
  statusCounts: Readonly<Record<string, number>>;
  /** Timeouts and connection errors: requests whose answer we never saw. */
  transportErrors?: number;
}

export interface Violation {
  code: string;
  message: string;
}

export interface Check {
  code: string;
  label: string;
  ok: boolean;
  detail: string;
}

export interface CheckResult {
  ok: boolean;
  violations: Violation[];
  checks: Check[];
  figures: Record<string, number | string | null>;
}

export const answered = (a: AnswerSummary) =>
  a.issued + a.pending + a.alreadyIssued + a.soldOut + a.serverError + a.other;

/** Told they hold the coupon: 201, a 202 that resolved to ISSUED, or 409 ALREADY_ISSUED. */
export const toldIssued = (a: AnswerSummary) => a.issued > 0 || a.resolved === "ISSUED" || a.alreadyIssued > 0;

/** A row is explained by a 201, or by a 202 that did not end REJECTED. */
export const toldWin = (a: AnswerSummary) => a.issued > 0 || (a.pending > 0 && a.resolved !== "REJECTED");

/** An unanswered request (dropped at the end of a --duration run) may have won: its user's ledger is unknowable. */
export const hasUnanswered = (a: AnswerSummary) => a.sent > answered(a);

const sample = (ids: string[]) => ids.slice(0, 5).join(", ") + (ids.length > 5 ? `, … (${ids.length} in all)` : "");

export function check(input: CheckInput): CheckResult {
  const { quantity, answers, rows, counter, redisCount, statusCounts } = input;
  const holders = new Set<string>();
  const dup = new Set<string>();
  for (const id of rows) (holders.has(id) ? dup : holders).add(id);
  const duplicates = [...dup];
  const all = [...answers.entries()];

  // Demand is a range when some requests went unanswered: they may or may not have reached the server.
  const demandLow = all.filter(([, a]) => answered(a) > 0).length;
  const demandHigh = all.filter(([, a]) => Math.max(a.sent, answered(a)) > 0).length;
  const minExpected = Math.min(quantity, demandLow);
  const maxExpected = Math.min(quantity, demandHigh);

  const issuedWithoutRow = all.filter(([id, a]) => toldIssued(a) && !holders.has(id)).map(([id]) => id);
  const rowsUnexplained: string[] = [];
  const soldOutButIssued: string[] = [];
  for (const id of holders) {
    const a = answers.get(id);
    if (a && (toldWin(a) || hasUnanswered(a))) continue;
    if (a && a.soldOut > 0 && a.soldOut === answered(a)) soldOutButIssued.push(id);
    else rowsUnexplained.push(id);
  }
  const unresolved = all
    .filter(([, a]) => a.pending > 0 && a.issued === 0 && a.resolved !== "ISSUED" && a.resolved !== "REJECTED")
    .map(([id]) => id);

  let fiveXx = 0;
  let unexpected = 0;
  for (const [key, n] of Object.entries(statusCounts)) {
    if (key.startsWith("5")) fiveXx += n;
    else if (!/^(201|202|409 (ALREADY_ISSUED|SOLD_OUT))\b/.test(key)) unexpected += n;
  }
  const busy503 = Object.entries(statusCounts)
    .filter(([key]) => key.startsWith("503"))
    .reduce((sum, [, n]) => sum + n, 0);
  const transportErrors = input.transportErrors ?? 0;

  const checks: Check[] = [
    mk("OVER_ISSUE", "I1 rows ≤ min(N, users who sent)", rows.length <= maxExpected,
      `${rows.length} rows, at most ${maxExpected} allowed`),
    mk("UNDER_ISSUE", "I3 holders ≥ min(N, users answered)", holders.size >= minExpected,
      `${holders.size} holders, at least ${minExpected} expected`),
    mk("DUPLICATE_ROW", "I2 one row per (coupon, user)", duplicates.length === 0,
      duplicates.length ? `duplicated users: ${sample(duplicates)}` : `${rows.length} rows, all distinct`),
    mk("COUNTER_MISMATCH", "Coupon.issuedCount = rows", counter === rows.length,
      `issuedCount ${counter}, rows ${rows.length}`),
    mk("ISSUED_WITHOUT_ROW", "I4 every user told ISSUED has a row", issuedWithoutRow.length === 0,
      issuedWithoutRow.length ? `no row for: ${sample(issuedWithoutRow)}` : "all have one"),
    mk("ROW_WITHOUT_WIN", "I4 every row's user was told ISSUED/PENDING", rowsUnexplained.length === 0,
      rowsUnexplained.length ? `rows never announced: ${sample(rowsUnexplained)}` : "all were"),
    mk("SOLD_OUT_BUT_ISSUED", "I4 nobody told only SOLD_OUT has a row", soldOutButIssued.length === 0,
      soldOutButIssued.length ? `told SOLD_OUT yet issued: ${sample(soldOutButIssued)}` : "none"),
    mk("PENDING_UNRESOLVED", "every 202 resolved to ISSUED/REJECTED", unresolved.length === 0,
      unresolved.length ? `still unresolved: ${sample(unresolved)}` : "all resolved"),
    mk("REDIS_MISMATCH", "Redis admitted = PostgreSQL rows", redisCount === null || redisCount === rows.length,
      redisCount === null ? "n/a (no Redis state)" : `SCARD ${redisCount}, rows ${rows.length}`),
    mk("SERVER_ERROR", "no 5xx answers", fiveXx === 0, `${fiveXx} 5xx (${busy503} of them 503)`),
    mk("TRANSPORT_ERROR", "no timeouts or connection errors", transportErrors === 0, `${transportErrors}`),
    mk("UNEXPECTED_ANSWER", "only 201/202/409 answers", unexpected === 0, `${unexpected} other answers`),
  ];
  const violations = checks.filter((c) => !c.ok).map((c) => ({ code: c.code, message: `${c.label}: ${c.detail}` }));

  const figures = {
    quantity,
    usersSent: demandHigh,
    usersAnswered: demandLow,
    expectedIssued: minExpected === maxExpected ? minExpected : `${minExpected}..${maxExpected}`,
    rows: rows.length,
    holders: holders.size,
    issuedCount: counter,
    redisAdmitted: redisCount,
    usersToldIssued: all.filter(([, a]) => toldIssued(a)).length,
    usersPending: all.filter(([, a]) => a.pending > 0).length,
    answers5xx: fiveXx,
    answers503: busy503,
    transportErrors,
  };
  return { ok: violations.length === 0, violations, checks, figures };
}

function mk(code: string, label: string, ok: boolean, detail: string): Check {
  return { code, label, ok, detail };
}
