/**
 * Reference (b), our stack's ceiling: a bare Express 5 app with one no-op
 * route, express.json() and an answer, nothing else. Run as its own process
 * by the bench; PORT and WORKERS from env.
 */
import express from "express";
import { serveProcesses } from "./serve-processes";

function start(): void {
  const app = express();
  app.use(express.json());
  // readyz: the bench waits for it at start; healthz: what it sends to open connections before timing.
  app.get(["/readyz", "/healthz"], (_req, res) => {
    res.json({ status: "ok" });
  });
  app.post("/bench/noop", (req, res) => {
    res.status(201).json({ couponId: 0, userId: String((req.body as { userId?: unknown }).userId), status: "ISSUED" });
  });
  const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
  process.once("SIGTERM", () => {
    server.close(() => process.exit(0));
    // Keep-alive sockets would hold close() open; the bench has stopped driving by now.
    server.closeAllConnections();
  });
}

serveProcesses(start);
