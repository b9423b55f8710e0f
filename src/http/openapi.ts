import { z } from "zod";
import { createCouponBody, issueBody, setLimitBody } from "./validation";

/**
 * The API as OpenAPI 3.1. test/http/openapi.test.ts keeps it true: every
 * documented operation exists and answers only documented statuses, and
 * every route the app serves is documented.
 */
/** A request body's JSON Schema, generated from the zod schema that parses it, so the two cannot drift. */
function requestSchema(schema: z.ZodType) {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return jsonSchema;
}

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const json = (description: string, ref: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const body = (ref: string) => ({
  required: true,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const badInput = {
  "400": problem("Malformed input (VALIDATION_FAILED, MALFORMED_JSON, INVALID_COUPON_ID, INVALID_USER_ID)"),
  "413": problem("Body over 16 KiB (PAYLOAD_TOO_LARGE)"),
  "415": problem("Body is not JSON (UNSUPPORTED_MEDIA_TYPE)"),
};
const unavailable = { "503": problem("Redis or PostgreSQL unreachable (UNAVAILABLE), or lock busy (BUSY); see Retry-After") };
const unauthorized = {
  "401": problem("Missing or wrong operator token (UNAUTHORIZED)"),
  "403": problem("A valid JWT without the coupons:admin scope (INSUFFICIENT_SCOPE)"),
};
const tokenRefused = problem(
  "SHOPPER_AUTH=jwt and the bearer token is refused: TOKEN_MISSING, TOKEN_TOO_LARGE, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, TOKEN_CLAIM_INVALID or TOKEN_SUBJECT_INVALID",
);
const notYours = problem("SHOPPER_AUTH=jwt and the request names another user than the token's sub (USER_MISMATCH)");
const notFound = { "404": problem("No such coupon (COUPON_NOT_FOUND)") };
const operator = [{ bearer: [] }];
/** Shopper routes: no credential with SHOPPER_AUTH=none, a shopper JWT with jwt. */
const shopper = [{}, { shopperJwt: [] }];
const pageParams = [
  { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 50 } },
  { name: "cursor", in: "query", required: false, schema: { type: "string" }, description: "nextCursor of the previous page" },
];
const couponIdParam = { name: "couponId", in: "path", required: true, schema: { type: "integer", minimum: 1 } };
const userIdParam = {
  name: "userId",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[0-9]{1,20}$" },
  description: "Positive 64-bit integer",
};

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "First-come coupon issuance API",
    version: "0.1.0",
    description: "Exactly N shoppers win a limited coupon, one each, under any load or fault.",
  },
  paths: {
    "/coupons": {
      post: {
        operationId: "createCoupon",
        security: operator,
        requestBody: body("NewCoupon"),
        responses: { "201": json("Created", "Coupon"), ...badInput, ...unauthorized, ...unavailable },
      },
    },
    "/coupons/{couponId}": {
      get: {
        operationId: "getCoupon",
        parameters: [couponIdParam],
        responses: { "200": json("The coupon with live counts", "Coupon"), ...badInput, ...notFound, ...unavailable },
      },
    },
    "/coupons/{couponId}/limit": {
      put: {
        operationId: "setLimit",
        security: operator,
        parameters: [couponIdParam],
        requestBody: body("NewLimit"),
        responses: {
          "200": json("Limit changed in Redis and PostgreSQL", "Coupon"),
          ...badInput,
          ...unauthorized,
          ...notFound,
          "409": problem("More are already issued or admitted (LIMIT_BELOW_ISSUED)"),
          ...unavailable,
        },
      },
    },
    "/coupons/{couponId}/issue": {
      post: {
        operationId: "issueCoupon",
        security: shopper,
        parameters: [
          couponIdParam,
          {
            name: "Prefer",
            in: "header",
            required: false,
            schema: { type: "string", example: "wait=5" },
            description: "RFC 7240 wait=N: for queued coupons, wait up to N seconds for the final answer",
          },
        ],
        requestBody: body("IssueRequest"),
        responses: {
          "201": json("Issued", "Issuance"),
          "202": {
            ...json("Admitted to the queue; poll Location", "Issuance"),
            headers: { Location: { schema: { type: "string" } } },
          },
          ...badInput,
          "401": tokenRefused,
          "403": notYours,
          ...notFound,
          "409": problem("ALREADY_ISSUED, SOLD_OUT, COUPON_NOT_STARTED or COUPON_ENDED"),
          "429": problem("Over RATE_LIMIT_USER or RATE_LIMIT_IP in this process (RATE_LIMITED); see Retry-After"),
          ...unavailable,
        },
      },
    },
    "/coupons/{couponId}/issuances/{userId}": {
      get: {
        operationId: "getIssuance",
        security: shopper,
        parameters: [couponIdParam, userIdParam],
        responses: {
          "200": json("The shopper's status", "IssuanceStatus"),
          ...badInput,
          "401": tokenRefused,
          "403": notYours,
          "404": problem("COUPON_NOT_FOUND, or NOT_REQUESTED when this user holds no request"),
          ...unavailable,
        },
      },
    },
    "/coupons/{couponId}/reconcile": {
      post: {
        operationId: "reconcile",
        security: operator,
        parameters: [couponIdParam],
        requestBody: { required: false, content: { "application/json": { schema: { $ref: "#/components/schemas/ReconcileRequest" } } } },
        responses: {
          "200": json("Differences found, and whether Redis was rebuilt from PostgreSQL", "ReconcileReport"),
          ...badInput,
          ...unauthorized,
          ...notFound,
          ...unavailable,
        },
      },
    },
    "/coupons/{couponId}/audit": {
      get: {
        operationId: "getAudit",
        security: operator,
        parameters: [couponIdParam, ...pageParams],
        responses: {
          "200": json("Operator actions on the coupon, newest first", "AuditPage"),
          ...badInput,
          ...unauthorized,
          ...notFound,
          ...unavailable,
        },
      },
    },
    "/me/coupons": {
      get: {
        operationId: "myCoupons",
        security: [{ shopperJwt: [] }],
        parameters: pageParams,
        responses: {
          "200": json("The coupons the token's subject holds, newest first", "HoldingsPage"),
          "400": problem("A bad limit or cursor (VALIDATION_FAILED)"),
          "401": tokenRefused,
          "404": problem("SHOPPER_AUTH=none: there is no \"me\" without a token (NOT_FOUND)"),
          ...unavailable,
        },
      },
    },
    "/healthz": { get: { operationId: "health", responses: { "200": { description: "The process is alive" } } } },
    "/readyz": {
      get: {
        operationId: "ready",
        responses: { "200": { description: "Redis and PostgreSQL answer" }, "503": problem("A dependency is unreachable") },
      },
    },
    "/metrics": {
      get: {
        operationId: "metrics",
        responses: {
          "200": { description: "Prometheus text format; with WORKERS > 1 the sum over every worker", content: { "text/plain": {} } },
          "503": problem("With WORKERS > 1, some worker did not answer in time (UNAVAILABLE); see Retry-After"),
        },
      },
    },
    "/openapi.json": { get: { operationId: "openapi", responses: { "200": { description: "This document" } } } },
  },
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", description: "One of ADMIN_TOKEN, or with SHOPPER_AUTH=jwt a JWT whose scope includes coupons:admin" },
      shopperJwt: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "SHOPPER_AUTH=jwt: a JWT whose sub is the shopper's user id" },
    },
    schemas: {
      Problem: {
        type: "object",
        required: ["type", "title", "status", "code"],
        properties: {
          type: { type: "string" },
          title: { type: "string" },
          status: { type: "integer" },
          code: { type: "string" },
          detail: { type: "string" },
          errors: { type: "array", items: { type: "object" } },
        },
      },
      NewCoupon: requestSchema(createCouponBody),
      NewLimit: requestSchema(setLimitBody),
      Coupon: {
        type: "object",
        properties: {
          id: { type: "integer" },
          name: { type: "string" },
          strategy: { type: "string" },
          totalQuantity: { type: "integer" },
          issuedCount: { type: "integer" },
          remaining: { type: "integer" },
          startsAt: { type: ["string", "null"], format: "date-time" },
          endsAt: { type: ["string", "null"], format: "date-time" },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
      IssueRequest: {
        ...requestSchema(issueBody),
        description: "As SHOPPER_AUTH=none wants it. With jwt the body, or its userId, may be left out; a userId given must be the token's sub",
      },
      Issuance: {
        type: "object",
        properties: {
          couponId: { type: "integer" },
          userId: { type: "string" },
          status: { enum: ["ISSUED", "PENDING"] },
        },
      },
      IssuanceStatus: {
        type: "object",
        properties: {
          couponId: { type: "integer" },
          userId: { type: "string" },
          status: { enum: ["ISSUED", "PENDING", "REJECTED"] },
          reason: { type: "string" },
        },
      },
      ReconcileRequest: { type: "object", properties: { dryRun: { type: "boolean" } } },
      ReconcileReport: { type: "object" },
      AuditPage: {
        type: "object",
        properties: {
          couponId: { type: "integer" },
          items: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "string" },
                action: { type: "string", description: "create, limit, reconcile, ..." },
                actor: { type: "string", description: "token:<first 12 hex of the admin token's SHA-256>, jwt:<sub> or cli:<OS user>" },
                before: {},
                after: {},
                requestId: { type: "string" },
                at: { type: "string", format: "date-time" },
              },
            },
          },
          nextCursor: { type: ["string", "null"] },
        },
      },
      HoldingsPage: {
        type: "object",
        properties: {
          userId: { type: "string" },
          items: {
            type: "array",
            items: {
              type: "object",
              properties: { couponId: { type: "integer" }, name: { type: "string" }, issuedAt: { type: "string", format: "date-time" } },
            },
          },
          nextCursor: { type: ["string", "null"] },
        },
      },
    },
  },
} as const;
