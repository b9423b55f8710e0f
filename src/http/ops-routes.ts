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
    sendProblem(res, 503, "UNAVAILABLE", "A dependency is unreachable", { checks });
  });

  app.get("/metrics", async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument);
  });
}
