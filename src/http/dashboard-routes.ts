import path from "node:path";
import express, { type Express, type RequestHandler, type Response } from "express";
import { AppError } from "../errors";
import type { OperatorCheck } from "./auth";
import type { DashboardSession, DashboardSessions } from "./dashboard-session";
import { ownOrigin } from "./dashboard-session";
import type { AppDeps } from "./deps";
import { dashboardLoginBody, parseBody } from "./validation";

/**
 * Where `npm run build` puts the page (web/dashboard bundled by esbuild):
 * dist/dashboard, found from dist/src/http when built and from src/http
 * when the sources run directly (tests).
 */
const root = path.resolve(__dirname, "../..");
export const DASHBOARD_ASSETS = path.join(root, path.basename(root) === "dist" ? "" : "dist", "dashboard");

/** The page loads its own script and style, talks only to this server, and may not be framed. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A stream whose reader lags this far behind is dropped; its browser reconnects. */
const MAX_UNSENT_BYTES = 1 << 20;

/**
 * The live sale dashboard: the page (public: it holds no data), its login,
 * and one Server-Sent Events stream of every watched coupon. The page's
 * pause, resume, close and limit buttons call the operator routes
 * themselves, with the login cookie and its CSRF token.
 */
export function dashboardRoutes(
  app: Express,
  deps: AppDeps,
  operator: RequestHandler,
  check: OperatorCheck,
  sessions: DashboardSessions,
): void {
  app.get("/dashboard", (_req, res) => {
    res.setHeader("Content-Security-Policy", PAGE_POLICY);
    res.sendFile(path.join(DASHBOARD_ASSETS, "index.html"));
  });
  app.use("/dashboard/assets", express.static(DASHBOARD_ASSETS, { index: false, redirect: false, cacheControl: false }));

  app.post("/dashboard/login", async (req, res) => {
    // Only the dashboard's own page logs in (a browser always sends Origin with a POST).
    const origin = req.get("origin");
    if (origin !== undefined && origin !== ownOrigin(req)) throw new AppError("CSRF_REJECTED", "Log in from the dashboard page itself");
    const { token } = parseBody(dashboardLoginBody, req.body);
    const who = await check(token);
    if (!who) throw new AppError("UNAUTHORIZED", "That operator token is not valid");
    const session = sessions.start(req, res, who.subject);
    req.log.info({ subject: who.subject }, "dashboard login");
    res.json(sessionJson(sessions, session));
  });

  app.post("/dashboard/logout", operator, (req, res) => {
    sessions.end(req, res);
    res.status(204).end();
  });

  app.get("/dashboard/session", operator, (req, res) => {
    res.json(sessionJson(sessions, req.operator!.session, req.operator!.subject));
  });

  app.get("/dashboard/events", operator, (req, res) => {
    openStream(res);
    const unsubscribe = deps.saleFeed.subscribe({
      send: (update) => {
        if (res.writableLength > MAX_UNSENT_BYTES) return void res.end();
        res.write(`data: ${update}\n\n`);
      },
      end: () => res.end(),
    });
    // A login that expires ends its stream; the page's reconnect is then refused, and it asks to log in again.
    const session = req.operator!.session;
    const expiry = session && setTimeout(() => res.end(), session.expiresAt - Date.now());
    res.once("close", () => {
      clearTimeout(expiry);
      unsubscribe();
    });
  });
}

function openStream(res: Response): void {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  // Proxies such as nginx would otherwise hold the updates back.
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  // How long the browser waits before it reconnects.
  res.write("retry: 2000\n\n");
}

function sessionJson(sessions: DashboardSessions, session: DashboardSession | undefined, subject = session?.subject) {
  return {
    subject,
    expiresAt: session ? new Date(session.expiresAt).toISOString() : null,
    // A bearer-token caller has no session, and needs no CSRF token.
    csrfToken: session ? sessions.csrfToken(session) : null,
  };
}
