import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openApiDocument } from "../../src/http/openapi";
import { ERRORS } from "../../src/errors";

/**
 * docs/api.md describes the API in words; this keeps it in step with the
 * OpenAPI document the service serves: a section per operation naming each
 * of its answer statuses, no section for an operation that does not exist,
 * and every problem code, with its status, in the table of codes.
 */
const doc = readFileSync(join(__dirname, "../../docs/api.md"), "utf8");

/** "### `POST /coupons`" -> its text, up to the next heading. */
const sections = new Map<string, string>();
for (const part of doc.split(/^(?=#{2,3} )/m)) {
  const m = /^### `([A-Z]+ \S+)`\n([\s\S]*)$/.exec(part);
  if (m) sections.set(m[1]!, m[2]!);
}
const operations = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
  Object.entries(ops as Record<string, { responses: Record<string, unknown> }>).map(([method, op]) => ({
    key: `${method.toUpperCase()} ${path}`,
    statuses: Object.keys(op.responses),
  })),
);

it("has a section for every operation, and none for an operation that does not exist", () => {
  expect([...sections.keys()].sort()).toEqual(operations.map((o) => o.key).sort());
});

it("names every status each operation can answer", () => {
  const missing = operations.flatMap(({ key, statuses }) =>
    statuses.filter((s) => !new RegExp(`\\b${s}\\b`).test(sections.get(key) ?? "")).map((s) => `${key}: ${s}`),
  );
  expect(missing).toEqual([]);
});

it("lists every problem code the service answers with, and its status", () => {
  const listed = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
  const registry = new Map(Object.entries(ERRORS).map(([code, { status }]) => [code, status]));
  expect([...listed].sort()).toEqual([...registry].sort());
});
