import { check, type AnswerSummary, type CheckInput } from "../../scripts/load/checker";

const none: AnswerSummary = { sent: 0, issued: 0, pending: 0, alreadyIssued: 0, soldOut: 0, serverError: 0, other: 0 };
/** One user's answers; `sent` defaults to the number of answers (nothing lost in flight). */
function told(a: Partial<AnswerSummary>): AnswerSummary {
  const s = { ...none, ...a };
  return { ...s, sent: a.sent ?? s.issued + s.pending + s.alreadyIssued + s.soldOut + s.serverError + s.other };
}

/**
 * A healthy sale of 3 coupons among 5 users: 1 and 2 won at once (1 asked
 * again and heard ALREADY_ISSUED), 3 was queued and later issued, 4 and 5
 * arrived too late.
 */
function healthy(): CheckInput {
  return {
    quantity: 3,
    answers: new Map([
      ["1", told({ issued: 1, alreadyIssued: 1 })],
      ["2", told({ issued: 1 })],
      ["3", told({ pending: 1, resolved: "ISSUED" })],
      ["4", told({ soldOut: 2 })],
      ["5", told({ soldOut: 1 })],
    ]),
    rows: ["1", "2", "3"],
    counter: 3,
    redisCount: 3,
    statusCounts: { "201 ISSUED": 2, "202 PENDING": 1, "409 ALREADY_ISSUED": 1, "409 SOLD_OUT": 3 },
  };
}

const codes = (input: CheckInput) => check(input).violations.map((v) => v.code).sort();

describe("load checker", () => {
  it("passes a consistent ledger", () => {
    const result = check(healthy());
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.figures).toMatchObject({ rows: 3, expectedIssued: 3, usersSent: 5, usersToldIssued: 3 });
  });

  it("flags over-issue: a fourth winner for three coupons", () => {
    const input = healthy();
    (input.answers as Map<string, AnswerSummary>).set("4", told({ issued: 1 }));
    input.rows = ["1", "2", "3", "4"];
    input.counter = input.redisCount = 4;
    expect(codes(input)).toEqual(["OVER_ISSUE"]);
  });

  it("flags under-issue: a coupon left while a later user was turned away", () => {
    const input = healthy();
    (input.answers as Map<string, AnswerSummary>).set("3", told({ soldOut: 1 }));
    input.rows = ["1", "2"];
    input.counter = input.redisCount = 2;
    expect(codes(input)).toEqual(["UNDER_ISSUE"]);
  });

  it("flags a user told ISSUED who has no row (also an under-issue)", () => {
    const input = healthy();
    input.rows = ["1", "3"];
    input.counter = input.redisCount = 2;
    expect(codes(input)).toEqual(["ISSUED_WITHOUT_ROW", "UNDER_ISSUE"]);
  });

  it("flags ALREADY_ISSUED told to a user without a row", () => {
    const input = healthy();
    (input.answers as Map<string, AnswerSummary>).set("5", told({ alreadyIssued: 1 }));
    expect(codes(input)).toEqual(["ISSUED_WITHOUT_ROW"]);
  });

  it("flags a duplicate (coupon, user) row, which is also one row too many", () => {
    const input = healthy();
    input.rows = ["1", "2", "3", "3"];
    input.counter = 4;
    // Redis holds a set, so it still counts 3 holders.
    expect(codes(input)).toEqual(["DUPLICATE_ROW", "OVER_ISSUE", "REDIS_MISMATCH"]);
  });

  it("flags a row whose user was only ever told SOLD_OUT", () => {
    const input = healthy();
    input.quantity = 4;
    input.rows = ["1", "2", "3", "4"];
    input.counter = input.redisCount = 4;
    expect(codes(input)).toEqual(["SOLD_OUT_BUT_ISSUED"]);
  });

  it("flags a row for a user this run never served, or whose 202 ended REJECTED", () => {
    const input = healthy();
    input.quantity = 4;
    input.rows = ["1", "2", "3", "99"];
    input.counter = input.redisCount = 4;
    expect(codes(input)).toEqual(["ROW_WITHOUT_WIN"]);

    const rejected = healthy();
    (rejected.answers as Map<string, AnswerSummary>).set("3", told({ pending: 1, resolved: "REJECTED" }));
    expect(codes(rejected)).toEqual(["ROW_WITHOUT_WIN"]);
  });

  it("flags a Redis count that differs from PostgreSQL, and skips it when there is no Redis state", () => {
    expect(codes({ ...healthy(), redisCount: 4 })).toEqual(["REDIS_MISMATCH"]);
    expect(codes({ ...healthy(), redisCount: null })).toEqual([]);
  });

  it("flags any 5xx, counting 503s apart", () => {
    const input = healthy();
    (input.answers as Map<string, AnswerSummary>).set("5", told({ soldOut: 1, serverError: 2 }));
    input.statusCounts = { ...input.statusCounts, "503 BUSY": 1, "500 INTERNAL": 1 };
    const result = check(input);
    expect(result.violations.map((v) => v.code)).toEqual(["SERVER_ERROR"]);
    expect(result.figures).toMatchObject({ answers5xx: 2, answers503: 1 });
  });

  it("flags a counter that differs from the row count", () => {
    expect(codes({ ...healthy(), counter: 2 })).toEqual(["COUNTER_MISMATCH"]);
  });

  it("flags a 202 that never resolved", () => {
    const input = healthy();
    (input.answers as Map<string, AnswerSummary>).set("3", told({ pending: 1, resolved: "PENDING" }));
    expect(codes(input)).toEqual(["PENDING_UNRESOLVED"]);
  });

  it("flags timeouts and answers the script did not expect", () => {
    expect(codes({ ...healthy(), transportErrors: 1 })).toEqual(["TRANSPORT_ERROR"]);
    const input = healthy();
    input.statusCounts = { ...input.statusCounts, "400 INVALID_USER_ID": 1 };
    expect(codes(input)).toEqual(["UNEXPECTED_ANSWER"]);
  });

  it("accepts either outcome for a request still in flight when a --duration run stopped", () => {
    const lost: CheckInput = {
      quantity: 5,
      answers: new Map([
        ["1", told({ issued: 1 })],
        ["2", told({ issued: 1 })],
        ["3", told({ issued: 1 })],
        ["6", told({ sent: 1 })], // sent, never answered: it may or may not have reached the server
      ]),
      rows: ["1", "2", "3"],
      counter: 3,
      redisCount: 3,
      statusCounts: { "201 ISSUED": 3 },
    };
    expect(codes(lost)).toEqual([]);
    expect(check(lost).figures.expectedIssued).toBe("3..4");
    expect(codes({ ...lost, rows: ["1", "2", "3", "6"], counter: 4, redisCount: 4 })).toEqual([]);
    // ...but a fifth row is one more than anyone could have won.
    expect(codes({ ...lost, rows: ["1", "2", "3", "6", "7"], counter: 5, redisCount: 5 })).toEqual([
      "OVER_ISSUE",
      "ROW_WITHOUT_WIN",
    ]);
  });
});
