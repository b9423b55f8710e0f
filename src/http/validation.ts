import { z } from "zod";
import { AppError, couponNotFound } from "../errors";
import { DEFAULT_STRATEGY, STRATEGIES } from "../issuance/strategy-names";

const MAX_INT4 = 2_147_483_647;
const MAX_INT8 = 9_223_372_036_854_775_807n;

/** A coupon id is a positive integer. Non-numbers are 400; numbers no coupon can have are 404. */
export function parseCouponId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new AppError("INVALID_COUPON_ID", "couponId must be a positive integer");
  const id = Number(raw);
  if (id === 0) throw new AppError("INVALID_COUPON_ID", "couponId must be a positive integer");
  if (id > MAX_INT4) throw couponNotFound(raw);
  return id;
}

/**
 * A user id is a positive 64-bit integer, as a safe-integer JSON number or a
 * decimal string. Returns the canonical decimal string used in Redis and SQL.
 */
export function canonicalUserId(value: unknown): string | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;
  }
  if (typeof value === "string" && /^\d{1,20}$/.test(value)) {
    const n = BigInt(value);
    return n > 0n && n <= MAX_INT8 ? n.toString() : undefined;
  }
  return undefined;
}

export function parseUserIdParam(raw: string): string {
  const id = canonicalUserId(raw);
  if (id === undefined) throw invalidUserId();
  return id;
}

const invalidUserId = () =>
  new AppError("INVALID_USER_ID", "userId must be a positive 64-bit integer (a JSON number or a decimal string)");

/** Documented for OpenAPI by hand: what it accepts is checked by canonicalUserId, not by a zod type. */
const userIdInput = z.unknown().meta({
  oneOf: [
    { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    { type: "string", pattern: "^[0-9]{1,20}$", description: "Decimal, up to 9223372036854775807" },
  ],
});

export const userId = userIdInput.transform((v, ctx) => {
  const id = canonicalUserId(v);
  if (id === undefined) {
    ctx.addIssue({ code: "custom", message: "must be a positive 64-bit integer (a JSON number or a decimal string)" });
    return z.NEVER;
  }
  return id;
});

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const quantity = z.number().int().min(1).max(10_000_000);

export const issueBody = z.strictObject({ userId });

export const createCouponBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    totalQuantity: quantity,
    strategy: z.enum(STRATEGIES).default(DEFAULT_STRATEGY),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
  })
  .refine((c) => !c.startsAt || !c.endsAt || c.startsAt < c.endsAt, {
    message: "endsAt must be after startsAt",
    path: ["endsAt"],
  });

export const setLimitBody = z.strictObject({ totalQuantity: quantity });

/** Parses a body against a schema, or throws 400 VALIDATION_FAILED listing each problem. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new AppError("VALIDATION_FAILED", "The request body is invalid", {
    extra: { errors: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
  });
}

/** `Prefer: wait=N` (RFC 7240), capped; undefined when absent. */
export function preferWaitMs(header: string | undefined, capSeconds: number): number | undefined {
  if (!header) return undefined;
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(header);
  return m ? Math.min(Number(m[1]), capSeconds) * 1000 : undefined;
}
