import { AppError, ERRORS, busy, isAmbiguousWrite, isUnavailable, unavailable } from "../../src/errors";
import { problemFor } from "../../src/http/error-handler";

describe("the error registry", () => {
  it("gives every code a client or server status and a title", () => {
    for (const [code, { status, title }] of Object.entries(ERRORS)) {
      expect([400, 401, 403, 404, 409, 413, 415, 429, 500, 503]).toContain(status);
      expect(title.length).toBeGreaterThan(0);
      expect(code).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe("problemFor maps failures to answers", () => {
  it("answers a dependency failure UNAVAILABLE with Retry-After, and keeps whether the write may have happened", () => {
    const sure = unavailable("PostgreSQL", new Error("ECONNREFUSED"));
    const maybe = unavailable("Redis", new Error("timeout"), true);
    expect(problemFor(sure)).toMatchObject({ code: "UNAVAILABLE", retryAfterSeconds: 1 });
    expect(ERRORS[problemFor(sure).code].status).toBe(503);
    expect(problemFor(sure).detail).not.toContain("ECONNREFUSED");
    expect([isAmbiguousWrite(sure), isAmbiguousWrite(maybe)]).toEqual([false, true]);
    expect([isUnavailable(sure, "PostgreSQL"), isUnavailable(sure, "Redis"), isUnavailable(maybe)]).toEqual([true, false, true]);
  });

  it("keeps an AppError's code, detail and extra members", () => {
    const err = new AppError("VALIDATION_FAILED", "The request body is invalid", { extra: { errors: ["x"] } });
    expect(problemFor(err)).toEqual({ code: "VALIDATION_FAILED", detail: "The request body is invalid", extra: { errors: ["x"] } });
    expect(problemFor(busy())).toMatchObject({ code: "BUSY", retryAfterSeconds: 1 });
  });

  it("turns a router's 4xx into BAD_REQUEST and anything else into a bare INTERNAL", () => {
    expect(problemFor(Object.assign(new Error("URIError: secret path"), { status: 400 })).code).toBe("BAD_REQUEST");
    const internal = problemFor(new TypeError("x is undefined at secret.ts:12"));
    expect(internal).toEqual({ code: "INTERNAL", detail: "Something went wrong on our side" });
  });
});
