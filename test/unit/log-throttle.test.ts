import { LogThrottle } from "../../src/http/log-throttle";

describe("LogThrottle", () => {
  it("lets the first of a kind through, folds the rest of the interval, then reports how many", () => {
    const t = new LogThrottle(1_000);
    expect(t.admit("UNAVAILABLE", 0)).toBe(0);
    expect(t.admit("UNAVAILABLE", 10)).toBeUndefined();
    expect(t.admit("UNAVAILABLE", 999)).toBeUndefined();
    expect(t.admit("UNAVAILABLE", 1_000)).toBe(2);
    expect(t.admit("UNAVAILABLE", 2_500)).toBe(0);
  });

  it("keeps each kind apart", () => {
    const t = new LogThrottle(1_000);
    expect(t.admit("UNAVAILABLE", 0)).toBe(0);
    expect(t.admit("BUSY", 1)).toBe(0);
    expect(t.admit("UNAVAILABLE", 2)).toBeUndefined();
    expect(t.admit("BUSY", 3)).toBeUndefined();
  });
});
