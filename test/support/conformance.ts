import { toldIssued, type RaceResult } from "./race";

/**
 * The conformance crowd and verdict, shared by every suite that runs it (one
 * Redis, Redis Cluster), so they all hold the strategies to the same bar.
 */
export const LIMIT = 100;
export const CROWD = { users: 1_000, requests: 3_000, concurrency: 200 };

/** Exactly `limit` rows, one per user, and the answers match the rows (docs/guarantees.md, promises 1–4). */
export function expectLedgerMatchesAnswers(result: RaceResult, rows: { userIds: string[]; issuedCount: number }, limit = LIMIT) {
  expect(rows.userIds).toHaveLength(limit);
  expect(new Set(rows.userIds).size).toBe(limit);
  expect(rows.issuedCount).toBe(limit);
  // Every user told ISSUED has a row, and every row's user was told so.
  expect([...toldIssued(result)].sort()).toEqual([...rows.userIds].sort());
  // Every queued request was settled, none lost: 202s all became ISSUED,
  // since admission never queues more than the coupons left.
  const queued = [...result.answers].filter(([, s]) => s.includes(202)).map(([u]) => u);
  expect(queued.map((u) => result.settled.get(u)).filter((s) => s !== "ISSUED")).toEqual([]);
  // Healthy runs answer only 201, 202 and 409.
  expect(Object.keys(result.statusCounts).filter((s) => !["201", "202", "409"].includes(s))).toEqual([]);
  // Nobody was issued twice: at most one 201 per user.
  for (const statuses of result.answers.values()) expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(1);
}
