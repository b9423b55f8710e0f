import type { Express } from "express";
import type { AppDeps } from "./deps";
import { openApiDocument } from "./openapi";
import { sendProblem } from "./problem";

/** Liveness, readiness, metrics, and the API description. */
export function opsRoutes(app: Express, deps: AppDeps): void {
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/readyz", async (_req, res) => {
    const checks = await deps.readiness();
    if (Object.values(checks).every(Boolean)) {
      res.json({ status: "ready", checks });
      return;
    }
    res.setHeader("Retry-After", "1");
    sendProblem(res, "UNAVAILABLE", "A dependency is unreachable", { checks });
  });

  app.get("/metrics", async (req, res) => {
    let text: string;
    try {
      text = await deps.metrics.exposition();
    } catch (err) {
      // Only a cluster worker's scrape can fail (some worker did not answer); a
      // partial sum would look like counters going backwards, so no answer instead.
      req.log.warn({ err: (err as Error).message }, "metrics unavailable");
      res.setHeader("Retry-After", "1");
      sendProblem(res, "UNAVAILABLE", "Metrics could not be gathered from every worker");
      return;
    }
    res.type(deps.metrics.registry.contentType).send(text);
  });

  app.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument);
  });
}
