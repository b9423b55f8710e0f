import { planFaults } from "../../scripts/torture/fault-plan";
import { seededStream } from "../../scripts/torture/seeded";
import { crowdShoppers } from "../../scripts/torture/shoppers";
import type { FaultRecord, RequestRecord, Resolution } from "../../scripts/torture/types";
import { judge, type VerdictInput } from "../../scripts/torture/verdict";

/** The torture verdict on made-up runs: each rule fires on its own case and stays quiet otherwise. */
const req = (userId: string, sentAt: number, status: number, code: string, extra: Partial<RequestRecord> = {}): RequestRecord => ({
  userId,
  process: 0,
  sentAt,
  answeredAt: sentAt + 10,
  status,
  code,
  phase: "crowd",
  ...extra,
});

function verdict(over: Partial<VerdictInput> & { rows?: string[] }) {
  const rows = over.rows ?? ["1", "2"];
  return judge({
    quantity: 2,
    records: [req("1", 0, 201, "ISSUED"), req("2", 5, 201, "ISSUED"), req("3", 100, 409, "SOLD_OUT")],
    faults: [],
    resolutions: new Map<string, Resolution>(),
    ledger: { rows, issuedCount: rows.length, totalQuantity: 2 },
    ...over,
  });
}
const failed = (v: ReturnType<typeof judge>) => v.checks.filter((c) => !c.ok).map((c) => c.id);

it("passes a clean run", () => {
  expect(failed(verdict({}))).toEqual([]);
});

it("flags too many rows, a counter mismatch and duplicates", () => {
  const v = judge({ ...base(), ledger: { rows: ["1", "2", "2"], issuedCount: 2, totalQuantity: 2 } });
  expect(failed(v)).toEqual(expect.arrayContaining(["I1", "I2", "EXACTLY_N"]));
  expect(v.checks.find((c) => c.id === "I2")!.examples).toEqual(["2"]);
});

it("I4a: told ALREADY_ISSUED without a row", () => {
  const records = [...base().records, req("4", 50, 409, "ALREADY_ISSUED")];
  expect(failed(verdict({ records }))).toEqual(["I4a"]);
});

it("I4b: a row whose user only got 503, unless a kill of its process cut a request off", () => {
  const records = [req("1", 0, 201, "ISSUED"), req("2", 5, 503, "UNAVAILABLE")];
  expect(failed(verdict({ records }))).toEqual(["I4b"]);
  const kill: FaultRecord = { kind: "kill", start: 6, end: 900, process: 0 };
  const cut = [...records, req("2", 3, 0, "no answer", { error: "ECONNRESET" })];
  expect(failed(verdict({ records: cut, faults: [kill] }))).toEqual([]);
  // A timeout with no kill behind it does not excuse the row.
  const timedOut = [...records, req("2", 3, 0, "no answer", { error: "timeout" })];
  expect(failed(verdict({ records: timedOut }))).toEqual(["I4b"]);
});

it("202s: unresolved and inconsistent resolutions are violations", () => {
  const records = [req("1", 0, 202, "PENDING"), req("2", 5, 202, "PENDING")];
  const pending = verdict({ records, resolutions: new Map([["1", "ISSUED"], ["2", "PENDING"]]) });
  expect(failed(pending)).toEqual(["RESOLVE_202"]);
  const refusedButRow = verdict({ records, resolutions: new Map<string, Resolution>([["1", "ISSUED"], ["2", "NOT_REQUESTED"]]) });
  expect(failed(refusedButRow)).toEqual(["RESOLVE_202"]);
  expect(refusedButRow.resolutions).toMatchObject({ ISSUED: 1, NOT_REQUESTED: 1 });
});

it("false SOLD_OUT: a later arrival won; excused only by a flush before that win", () => {
  const records = [req("1", 0, 201, "ISSUED"), req("3", 20, 409, "SOLD_OUT"), req("2", 100, 201, "ISSUED")];
  const v = verdict({ records });
  expect(failed(v)).toEqual(["FALSE_SOLD_OUT"]);
  expect(v.checks.find((c) => c.id === "FALSE_SOLD_OUT")!.examples).toEqual(["3"]);
  const flushBefore: FaultRecord = { kind: "flush", start: 50, end: 50 };
  const excused = verdict({ records, faults: [flushBefore] });
  expect(failed(excused)).toEqual([]);
  expect(excused.notes[0]!.count).toBe(1);
  // A flush after the later winner already won cannot have freed its place.
  const flushAfter: FaultRecord = { kind: "flush", start: 500, end: 500 };
  expect(failed(verdict({ records, faults: [flushAfter] }))).toEqual(["FALSE_SOLD_OUT"]);
  // A flush in progress while the SOLD_OUT was decided may have run after it.
  const flushDuring: FaultRecord = { kind: "flush", start: 15, end: 30 };
  expect(failed(verdict({ records, faults: [flushDuring] }))).toEqual([]);
  // One that returned before the SOLD_OUT request was sent ran before the decision.
  const flushDone: FaultRecord = { kind: "flush", start: 5, end: 10 };
  expect(failed(verdict({ records, faults: [flushDone] }))).toEqual(["FALSE_SOLD_OUT"]);
});

it("exactly N: a sale that stops short fails", () => {
  expect(failed(verdict({ rows: ["1"], records: [req("1", 0, 201, "ISSUED")] }))).toEqual(["EXACTLY_N"]);
});

it("splits latency by whether a fault was in effect", () => {
  const stall: FaultRecord = { kind: "stall", start: 3, end: 12 };
  const v = verdict({ faults: [stall] });
  expect(v.latency.duringFaults.answers).toBe(2); // the two in flight over [3, 12]; one answered within it
  expect(v.latency.healthy.answers).toBe(1);
  expect(v.figures.answeredDuringFault.stall).toBe(1);
});

it("same seed, same faults and shoppers; every chosen kind shows up early", () => {
  const plan = (seed: number) => planFaults(seededStream(seed, "queue", "faults"), ["stall", "kill", "flush", "pg-cut", "latency"], 2, 20);
  expect(plan(7)).toEqual(plan(7));
  expect(plan(7)).not.toEqual(plan(8));
  expect(new Set(plan(7).slice(0, 5).map((f) => f.kind)).size).toBe(5);
  const users = (seed: number) => {
    const next = crowdShoppers(seededStream(seed, "queue", "users"), 100);
    return Array.from({ length: 500 }, next);
  };
  expect(users(7)).toEqual(users(7));
  const ids = users(7).map(Number);
  expect(Math.max(...ids)).toBeLessThanOrEqual(100);
  expect(new Set(ids).size).toBeLessThan(ids.length); // repeats
});

function base(): VerdictInput {
  return {
    quantity: 2,
    records: [req("1", 0, 201, "ISSUED"), req("2", 5, 201, "ISSUED"), req("3", 100, 409, "SOLD_OUT")],
    faults: [],
    resolutions: new Map(),
    ledger: { rows: ["1", "2"], issuedCount: 2, totalQuantity: 2 },
  };
}
