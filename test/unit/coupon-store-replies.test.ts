import { admissionCheck, admissionChecks, holdAdmission, queueAdmission } from "../../src/coupon-store/replies";

describe("the admission scripts' reply codes", () => {
  it("reads issueRedisSet-3.lua's codes", () => {
    expect([1, 2, 3, 4].map(holdAdmission)).toEqual(["admitted", "duplicate", "sold-out", "held"]);
  });

  it("reads admitToQueue-4.lua's codes", () => {
    expect([1, 2, 3, 4].map(queueAdmission)).toEqual(["admitted", "duplicate", "sold-out", "queued"]);
  });

  it("reads checkAdmission-2.lua's and checkAdmissions-2.lua's answers", () => {
    expect([1, 2, 3].map(admissionCheck)).toEqual(["room", "duplicate", "sold-out"]);
    expect(admissionChecks([2, 0, 1, 0])).toEqual({ room: 2, admitted: [false, true, false] });
  });

  it("reads every admission script's refusal while the sale is shut", () => {
    for (const read of [holdAdmission, queueAdmission, admissionCheck, admissionChecks]) {
      expect([5, 6, 7].map((code) => read(code))).toEqual(["paused", "ended", "not-started"]);
    }
  });

  it("fails loudly on a code no script answers, instead of guessing an outcome", () => {
    // 0 (not loaded) never reaches these readers: the store loads the coupon and asks again.
    for (const read of [holdAdmission, queueAdmission, admissionCheck]) {
      expect(() => read(0)).toThrow(/unknown code 0/);
      expect(() => read(9)).toThrow(/unknown code 9/);
    }
  });
});
