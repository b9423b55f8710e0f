import { z } from "zod";
import { COUPON_STATUSES } from "../issuance/sale";
import { createCouponBody, dashboardLoginBody, editCouponBody, issueBody, setLimitBody } from "./validation";

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
  "401": problem("Missing or wrong operator token, and no dashboard login (UNAUTHORIZED)"),
  "403": problem("A valid JWT without the coupons:admin scope, e.g. a shopper's (INSUFFICIENT_SCOPE)"),
};
const crossSite = {
  "403": problem(
    "A valid JWT without the coupons:admin scope (INSUFFICIENT_SCOPE), or made with the dashboard login but not from the dashboard page: foreign Origin or no CSRF token (CSRF_REJECTED)",
  ),
};
const tokenRefused = problem(
  "SHOPPER_AUTH=jwt and the bearer token is refused: TOKEN_MISSING, TOKEN_TOO_LARGE, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, TOKEN_CLAIM_INVALID or TOKEN_SUBJECT_INVALID",
);
const notYours = problem("SHOPPER_AUTH=jwt and the request names another user than the token's sub (USER_MISMATCH)");
/** Shopper routes: no credential with SHOPPER_AUTH=none, a shopper's JWT with jwt. */
const shopper = [{}, { shopperJwt: [] }];
const notFound = { "404": problem("No such coupon (COUPON_NOT_FOUND)") };
const badQuery = { "400": problem("Malformed id (INVALID_COUPON_ID) or query string (INVALID_QUERY: unknown or repeated parameter, bad cursor, limit or status)") };
const operator = [{ bearer: [] }, { dashboardSession: [] }];
const cursorParam = {
  name: "cursor",
  in: "query",
  required: false,
  schema: { type: "string" },
  description: "nextCursor of the previous page, as given; absent for the first page",
};
const limitParam = (fallback: number, max: number) => ({
  name: "limit",
  in: "query",
  required: false,
  schema: { type: "integer", minimum: 1, maximum: max, default: fallback },
});
const recordedNotCopied =
  "Recorded in PostgreSQL (the postgres path holds it already); Redis has not taken it yet, and gets it as soon as it answers again";
const saleAction = (action: string, description: string) => ({
  post: {
    operationId: `${action}Sale`,
    description,
    security: operator,
    parameters: [couponIdParam],
    responses: {
      "200": json("The coupon, with its new status; in effect in every process", "Coupon"),
      "202": json(recordedNotCopied, "Coupon"),
      ...badInput,
      ...unauthorized,
      ...crossSite,
      ...notFound,
      "409": problem("Not possible from the coupon's status (INVALID_TRANSITION; couponStatus says what it is)"),
      ...unavailable,
    },
  },
});
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
        responses: { "201": json("Created", "Coupon"), ...badInput, ...unauthorized, ...crossSite, ...unavailable },
      },
      get: {
        operationId: "listCoupons",
        security: operator,
        parameters: [
          { name: "status", in: "query", required: false, schema: { enum: [...COUPON_STATUSES] } },
          cursorParam,
          limitParam(20, 100),
        ],
        responses: { "200": json("Coupons, newest first, with live counts and status", "CouponPage"), ...badQuery, ...unauthorized, ...unavailable },
      },
    },
    "/coupons/{couponId}": {
      get: {
        operationId: "getCoupon",
        parameters: [couponIdParam],
        responses: { "200": json("The coupon with live counts", "Coupon"), ...badInput, ...notFound, ...unavailable },
      },
      patch: {
        operationId: "editCoupon",
        description: "Changes name, description or sale window while the coupon is scheduled or paused",
        security: operator,
        parameters: [couponIdParam],
        requestBody: body("CouponEdit"),
        responses: {
          "200": json("The edited coupon; its window in effect in every process", "Coupon"),
          "202": json(recordedNotCopied, "Coupon"),
          ...badInput,
          ...unauthorized,
          ...crossSite,
          ...notFound,
          "409": problem("The coupon is live, sold out or ended (COUPON_NOT_EDITABLE): pause it first"),
          ...unavailable,
        },
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
          ...crossSite,
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
          "409": problem("ALREADY_ISSUED, SOLD_OUT, COUPON_NOT_STARTED, COUPON_PAUSED or COUPON_ENDED"),
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
    "/coupons/{couponId}/issuances": {
      get: {
        operationId: "listWinners",
        description: "Winners in issue order, a page at a time; with Accept: text/csv, every winner as CSV (cursor and limit ignored)",
        security: operator,
        parameters: [couponIdParam, cursorParam, limitParam(100, 1000)],
        responses: {
          "200": {
            description: "A page of winners, or the CSV export",
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/WinnerPage" } },
              "text/csv": { schema: { type: "string" } },
            },
          },
          ...badQuery,
          ...unauthorized,
          ...notFound,
          ...unavailable,
        },
      },
    },
    "/coupons/{couponId}/issuances.csv": {
      get: {
        operationId: "exportWinners",
        description: "Every winner as CSV (header userId,issuedAt; issue order; UTC), streamed from one snapshot",
        security: operator,
        parameters: [couponIdParam],
        responses: {
          "200": { description: "The CSV", content: { "text/csv": { schema: { type: "string" } } } },
          ...badQuery,
          ...unauthorized,
          ...notFound,
          "503": problem("PostgreSQL unreachable (UNAVAILABLE), or every export connection busy (BUSY); see Retry-After"),
        },
      },
    },
    "/coupons/{couponId}/pause": saleAction("pause", "Shoppers get 409 COUPON_PAUSED until resumed; work already admitted still settles"),
    "/coupons/{couponId}/resume": saleAction("resume", "A paused sale follows its window again"),
    "/coupons/{couponId}/close": saleAction("close", "Ends the sale for good: shoppers get 409 COUPON_ENDED; work already admitted still settles"),
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
          ...crossSite,
          ...notFound,
          ...unavailable,
        },
      },
    },
    "/coupons/{couponId}/audit": {
      get: {
        operationId: "getAudit",
        description: "Every operator action on the coupon, newest first, a page at a time",
        security: operator,
        parameters: [couponIdParam, cursorParam, limitParam(50, 100)],
        responses: { "200": json("Operator actions, newest first", "AuditPage"), ...badQuery, ...unauthorized, ...notFound, ...unavailable },
      },
    },
    "/me/coupons": {
      get: {
        operationId: "myCoupons",
        description: "SHOPPER_AUTH=jwt: the coupons the token's subject holds, newest first, a page at a time",
        security: [{ shopperJwt: [] }],
        parameters: [cursorParam, limitParam(50, 100)],
        responses: {
          "200": json("The caller's coupons, newest first", "HoldingsPage"),
          "400": problem("A bad query string (INVALID_QUERY)"),
          "401": tokenRefused,
          "404": problem('SHOPPER_AUTH=none: without a token there is no "me" (NOT_FOUND)'),
          ...unavailable,
        },
      },
    },
    "/dashboard": {
      get: {
        operationId: "dashboardPage",
        description: "The live sale dashboard (a web page). It holds no data: it logs in, then streams /dashboard/events.",
        responses: { "200": { description: "The page", content: { "text/html": {} } } },
      },
    },
    "/dashboard/login": {
      post: {
        operationId: "dashboardLogin",
        description: "Checks an operator credential and sets the dashboard's login cookie (HttpOnly, SameSite=Strict, Secure over TLS).",
        requestBody: body("DashboardLogin"),
        responses: {
          "200": {
            ...json("Logged in; Set-Cookie carries the login", "DashboardSession"),
            headers: { "Set-Cookie": { schema: { type: "string" } } },
          },
          ...badInput,
          "401": problem("Not a valid operator credential (UNAUTHORIZED)"),
          "403": problem("Sent from another site's page (CSRF_REJECTED), or a JWT without the coupons:admin scope (INSUFFICIENT_SCOPE)"),
        },
      },
    },
    "/dashboard/logout": {
      post: {
        operationId: "dashboardLogout",
        security: operator,
        responses: { "204": { description: "The login cookie is cleared" }, ...unauthorized, ...crossSite },
      },
    },
    "/dashboard/session": {
      get: {
        operationId: "dashboardSession",
        security: operator,
        responses: { "200": json("Who is logged in, until when, and the CSRF token for changes", "DashboardSession"), ...unauthorized },
      },
    },
    "/dashboard/events": {
      get: {
        operationId: "dashboardEvents",
        security: operator,
        description:
          "Server-Sent Events: once a second, a `data:` line with a SaleUpdate (JSON) of every coupon whose sale is open. Ends when the login expires.",
        responses: {
          "200": { description: "An endless event stream", content: { "text/event-stream": { schema: { $ref: "#/components/schemas/SaleUpdate" } } } },
          ...unauthorized,
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
      dashboardSession: {
        type: "apiKey",
        in: "cookie",
        name: "coupon_dashboard",
        description: "Set by POST /dashboard/login. A change made with it also needs Origin of this server and X-CSRF-Token.",
      },
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
      CouponEdit: requestSchema(editCouponBody),
      NewLimit: requestSchema(setLimitBody),
      Coupon: {
        type: "object",
        properties: {
          id: { type: "integer" },
          name: { type: "string" },
          description: { type: ["string", "null"] },
          strategy: { type: "string" },
          status: { enum: [...COUPON_STATUSES] },
          totalQuantity: { type: "integer" },
          issuedCount: { type: "integer" },
          remaining: { type: "integer" },
          startsAt: { type: ["string", "null"], format: "date-time" },
          endsAt: { type: ["string", "null"], format: "date-time" },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
      CouponPage: {
        type: "object",
        properties: {
          items: { type: "array", items: { $ref: "#/components/schemas/Coupon" } },
          nextCursor: { type: ["string", "null"], description: "Pass as cursor for the next page; null on the last" },
        },
      },
      WinnerPage: {
        type: "object",
        properties: {
          couponId: { type: "integer" },
          items: {
            type: "array",
            items: { type: "object", properties: { userId: { type: "string" }, issuedAt: { type: "string", format: "date-time" } } },
          },
          nextCursor: { type: ["string", "null"], description: "Pass as cursor for the next page; null on the last" },
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
                action: { type: "string", description: "create, set-limit, edit, pause, resume, close or reconcile" },
                actor: { type: "string", description: "token:<first 12 hex of the admin token's SHA-256>, jwt:<sub> or cli:<OS user>" },
                before: {},
                after: {},
                requestId: { type: "string" },
                at: { type: "string", format: "date-time" },
              },
            },
          },
          nextCursor: { type: ["string", "null"], description: "Pass as cursor for the next page; null on the last" },
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
          nextCursor: { type: ["string", "null"], description: "Pass as cursor for the next page; null on the last" },
        },
      },
      DashboardLogin: requestSchema(dashboardLoginBody),
      DashboardSession: {
        type: "object",
        properties: {
          subject: { type: "string" },
          expiresAt: { type: ["string", "null"], format: "date-time", description: "null for a bearer-token caller" },
          csrfToken: { type: ["string", "null"], description: "Send as X-CSRF-Token with every change; null for a bearer-token caller" },
        },
      },
      SaleUpdate: {
        type: "object",
        properties: {
          at: { type: "string", format: "date-time" },
          problems: { type: "array", items: { type: "string" }, description: "What could not be read this time" },
          coupons: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "integer" },
                name: { type: "string" },
                strategy: { type: "string" },
                status: { enum: ["scheduled", "live", "paused", "sold-out", "ended"] },
                totalQuantity: { type: "integer" },
                issued: { type: "integer", description: "Rows in PostgreSQL" },
                remaining: { type: "integer" },
                queueDepth: { type: ["integer", "null"], description: "Queue coupons: admitted, not yet written" },
                rate: {
                  type: "object",
                  description: "Rows written per second over the last minutes",
                  properties: { t: { type: "array", items: { type: "number" } }, perSecond: { type: "array", items: { type: "number" } } },
                },
                answers: {
                  type: ["object", "null"],
                  description: "Shoppers' answers since the serving processes started (summed over every worker)",
                  additionalProperties: { type: "integer" },
                },
                p99Ms: { type: ["number", "null"], description: "Of the answers of the last minute" },
              },
            },
          },
        },
      },
      ReconcileReport: { type: "object" },
    },
  },
} as const;
