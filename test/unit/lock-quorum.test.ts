import { LockLostError, LockUnavailableError } from "../../src/lock";
import { leaseEnd, ownerVerdict, quorumOf, quorumUnreachable, type NodeReplies } from "../../src/lock/quorum";

const ok = <T>(value: T): PromiseSettledResult<T> => ({ status: "fulfilled", value });
const down: PromiseSettledResult<never> = { status: "rejected", reason: new Error("ECONNREFUSED") };

describe("Redlock quorum maths", () => {
  it("needs a strict majority of the nodes", () => {
    expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
  });

  it("trusts a lease for a little less than its length, never more", () => {
    expect(leaseEnd(1_000, 2_000)).toBe(1_000 + 2_000 - 22);
    expect(leaseEnd(0, 10)).toBeLessThan(10);
  });

  it("calls a quorum unreachable only when too few nodes answered at all", () => {
    expect(quorumUnreachable([ok(0), ok(0), down], 2)).toBe(false);
    expect(quorumUnreachable([ok(1), down, down], 2)).toBe(true);
  });

  it.each<[string, NodeReplies<number>, "done" | "lost" | "unknown"]>([
    ["done on every node", [ok(1), ok(1), ok(1)], "done"],
    ["done on a majority, one node down", [ok(1), ok(1), down], "done"],
    ["not the owner on a majority", [ok(0), ok(0), ok(1)], "lost"],
    ["not the owner on two, the third down", [ok(0), ok(0), down], "lost"],
    ["done on one, not on one, one down", [ok(1), ok(0), down], "unknown"],
    ["two nodes down", [ok(1), down, down], "unknown"],
  ])("judges an owner-checked command: %s", (_name, replies, expected) => {
    const verdict = ownerVerdict("r", "release", replies, quorumOf(replies.length));
    const kind = verdict === undefined ? "done" : verdict instanceof LockLostError ? "lost" : "unknown";
    expect(kind).toBe(expected);
    if (kind === "unknown") expect(verdict).toBeInstanceOf(LockUnavailableError);
  });
});
