import { z } from "zod";
import { AppError, couponNotFound } from "../errors";
import { COUPON_STATUSES } from "../issuance/sale";
import { DEFAULT_STRATEGY, STRATEGIES } from "../issuance/strategy-names";
import { decodeCursor, type Cursor } from "./cursor";

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
const name = z.string().trim().min(1).max(100);
const description = z.string().trim().min(1).max(1000);
const windowOrdered = {
  check: (c: { startsAt?: Date | null | undefined; endsAt?: Date | null | undefined }) => !c.startsAt || !c.endsAt || c.startsAt < c.endsAt,
  params: { message: "endsAt must be after startsAt", path: ["endsAt"] },
};

export const issueBody = z.strictObject({ userId });

export const createCouponBody = z
  .strictObject({
    name,
    description: description.optional(),
    totalQuantity: quantity,
    strategy: z.enum(STRATEGIES).default(DEFAULT_STRATEGY),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
  })
  .refine(windowOrdered.check, windowOrdered.params);

/** PATCH /coupons/:id: any of these; null clears the description or a window bound. */
export const editCouponBody = z
  .strictObject({
    name: name.optional(),
    description: description.nullable().optional(),
    startsAt: instant.nullable().optional(),
    endsAt: instant.nullable().optional(),
  })
  .refine((c) => Object.keys(c).length > 0, { message: "name, description, startsAt or endsAt is required" })
  .refine(windowOrdered.check, windowOrdered.params);

export const setLimitBody = z.strictObject({ totalQuantity: quantity });

/** A page size: a decimal integer from 1 to `max`, `fallback` when absent. */
const pageLimit = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,7}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(1).max(max))
    .default(fallback);

export const listCouponsQuery = z.strictObject({
  status: z.enum(COUPON_STATUSES).optional(),
  cursor: z.string().transform(cursorOf("coupons")).optional(),
  limit: pageLimit(20, 100),
});

/** For routes that take no query parameters: any is 400. */
export const noQuery = z.strictObject({});

export const listWinnersQuery = z.strictObject({
  cursor: z.string().transform(cursorOf("winners")).optional(),
  limit: pageLimit(100, 1000),
});

/** The audit trail and a shopper's coupons: newest first, 50 a page unless asked. */
export const auditQuery = z.strictObject({
  cursor: z.string().transform(cursorOf("audit")).optional(),
  limit: pageLimit(50, 100),
});

export const holdingsQuery = z.strictObject({
  cursor: z.string().transform(cursorOf("holdings")).optional(),
  limit: pageLimit(50, 100),
});

function cursorOf<K extends Cursor["kind"]>(kind: K) {
  return (raw: string, ctx: z.RefinementCtx): Extract<Cursor, { kind: K }> => {
    const cursor = decodeCursor(raw);
    if (cursor?.kind === kind) return cursor as Extract<Cursor, { kind: K }>;
    ctx.addIssue({ code: "custom", message: "is not a cursor this list gave out" });
    return z.NEVER;
  };
}

/**
 * Parses the query string against a schema, or throws 400 INVALID_QUERY
 * listing each problem. A parameter given twice is a problem too.
 */
export function parseQuery<T extends z.ZodType>(schema: T, url: string): z.output<T> {
  const params = new URLSearchParams(url.includes("?") ? url.slice(url.indexOf("?") + 1) : "");
  const query: Record<string, string> = {};
  const errors: { path: string; message: string }[] = [];
  for (const [key, value] of params) {
    if (Object.hasOwn(query, key)) errors.push({ path: key, message: "is given more than once" });
    query[key] = value;
  }
  const result = schema.safeParse(query);
  if (result.success && errors.length === 0) return result.data;
  for (const issue of result.success ? [] : result.error.issues) {
    if (issue.code === "unrecognized_keys") errors.push(...issue.keys.map((key) => ({ path: key, message: "is not a parameter of this route" })));
    else errors.push({ path: issue.path.join("."), message: issue.message });
  }
  throw new AppError("INVALID_QUERY", "The query string is invalid", { extra: { errors } });
}

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

/** The dashboard's login form: an operator credential (ADMIN_TOKEN). */
export const dashboardLoginBody = z.strictObject({ token: z.string().min(1).max(8_192) });
