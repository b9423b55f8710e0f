import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { CookieOptions, Request, Response } from "express";
import { z } from "zod";

export const SESSION_COOKIE = "coupon_dashboard";
export const CSRF_HEADER = "x-csrf-token";

export interface DashboardSession {
  /** Who logged in, as the operator check named them. */
  readonly subject: string;
  readonly id: string;
  /** Unix ms; the cookie is refused from then on, whatever the browser keeps. */
  readonly expiresAt: number;
}

/** The cookie's content; cookie-parser signs it, so only this server can have made it. */
const cookieValue = z.strictObject({
  sub: z.string().min(1).max(200),
  sid: z.string().regex(/^[\w-]{24}$/),
  exp: z.number().int().positive(),
});

/**
 * The dashboard's login, kept in a cookie: HttpOnly (page scripts cannot
 * read it), SameSite=Strict (other sites' pages do not send it), Secure
 * when the request came over TLS (directly or, with TRUST_PROXY, through a
 * proxy), and signed with HMAC-SHA256 together with its expiry, so nothing
 * is stored server-side and every worker accepts it.
 *
 * Both keys derive from ADMIN_TOKEN, which every worker shares: changing
 * the token logs every dashboard out.
 *
 * A state-changing call made with the cookie must also come from the
 * dashboard's own page: its Origin is this server's, and it carries the
 * session's CSRF token (an HMAC of the session id, handed to the page by
 * the login and by GET /dashboard/session) in the X-CSRF-Token header,
 * which no cross-site form can set.
 */
export class DashboardSessions {
  /** For cookie-parser, which signs and checks the cookie with it. */
  readonly cookieSecret: string;
  private readonly csrfKey: Buffer;

  constructor(
    secret: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.cookieSecret = derive(secret, "dashboard session cookie").toString("base64url");
    this.csrfKey = derive(secret, "dashboard csrf token");
  }

  /** Logs `subject` in: sets the cookie on `res`. */
  start(req: Request, res: Response, subject: string): DashboardSession {
    const session = { subject, id: randomBytes(18).toString("base64url"), expiresAt: this.now() + this.ttlMs };
    const value: z.infer<typeof cookieValue> = { sub: subject, sid: session.id, exp: session.expiresAt };
    res.cookie(SESSION_COOKIE, value, { ...cookieOptions(req), signed: true, maxAge: this.ttlMs });
    return session;
  }

  end(req: Request, res: Response): void {
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
  }

  /** The request's session, if its cookie is ours, intact and unexpired. */
  read(req: Request): DashboardSession | undefined {
    const parsed = cookieValue.safeParse((req.signedCookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE]);
    if (!parsed.success || parsed.data.exp <= this.now()) return undefined;
    return { subject: parsed.data.sub, id: parsed.data.sid, expiresAt: parsed.data.exp };
  }

  csrfToken(session: DashboardSession): string {
    return createHmac("sha256", this.csrfKey).update(session.id).digest("base64url");
  }

  /** Whether a state-changing request made with `session` comes from the dashboard's own page. */
  fromOwnPage(req: Request, session: DashboardSession): boolean {
    const sent = req.get(CSRF_HEADER);
    return req.get("origin") === ownOrigin(req) && sent !== undefined && sameText(sent, this.csrfToken(session));
  }
}

/** This server's origin as the browser sees it (behind a trusted proxy, the public one). */
export const ownOrigin = (req: Request) => `${req.protocol}://${req.host}`;

const cookieOptions = (req: Request): CookieOptions => ({
  httpOnly: true,
  sameSite: "strict",
  secure: req.secure,
  path: "/",
});

const derive = (secret: string, purpose: string) => createHmac("sha256", secret).update(purpose).digest();

const digest = (s: string) => createHmac("sha256", "compare").update(s).digest();
/** Constant time whatever the lengths. */
const sameText = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
