import { decodeOutcome, encodeOutcome } from "../../src/issuance/queue/outcome-messages";

describe("the queue's outcome message", () => {
  it.each([
    { issued: ["1", "9223372036854775807"], rejected: ["5"], reason: "LIMIT_REACHED" },
    { issued: [], rejected: [], reason: "LIMIT_REACHED" },
    { issued: ["7"], rejected: [], reason: "" },
  ])("round-trips %p", (outcome) => {
    expect(decodeOutcome(encodeOutcome(outcome))).toEqual(outcome);
  });

  it.each(["", "I:1", "I:a|R:X:1", "I:1|R:lower:2", "junk|I:1|R:X:2"])("ignores a foreign message %p", (message) => {
    expect(decodeOutcome(message)).toBeUndefined();
  });
});
