import { canonicalUserId, parseCouponId, preferWaitMs } from "../../src/http/validation";

describe("canonicalUserId", () => {
  it.each([
    [1, "1"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    ["42", "42"],
    ["0042", "42"],
    ["9223372036854775807", "9223372036854775807"],
  ])("accepts %p as %p", (input, expected) => expect(canonicalUserId(input)).toBe(expected));

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 53, "0", "", "-1", "1.0", "1e3", " 1", "0x1", "9223372036854775808", "1".repeat(21), null, true, [1], {}])(
    "rejects %p",
    (input) => expect(canonicalUserId(input)).toBeUndefined(),
  );
});

describe("parseCouponId", () => {
  it("accepts positive int4 ids", () => expect(parseCouponId("2147483647")).toBe(2147483647));
  it.each(["0", "abc", "-1", "1.5", "", " 1"])("answers 400 for %p", (raw) =>
    expect(() => parseCouponId(raw)).toThrow(expect.objectContaining({ status: 400, code: "INVALID_COUPON_ID" })),
  );
  it("answers 404 for ids no coupon can have", () =>
    expect(() => parseCouponId("99999999999999999999999")).toThrow(expect.objectContaining({ status: 404 })));
});

describe("preferWaitMs", () => {
  it("reads wait=N and caps it", () => {
    expect(preferWaitMs("wait=5", 30)).toBe(5_000);
    expect(preferWaitMs("respond-async, wait=100", 30)).toBe(30_000);
    expect(preferWaitMs("handling=lenient", 30)).toBeUndefined();
    expect(preferWaitMs(undefined, 30)).toBeUndefined();
  });
});
