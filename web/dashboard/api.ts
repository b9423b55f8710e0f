/** Calls to this server as the logged-in dashboard: the cookie goes by itself, the CSRF token in a header. */

export interface Session {
  readonly subject: string;
  readonly expiresAt: string | null;
  readonly csrfToken: string | null;
}

export class NotLoggedIn extends Error {}

let csrfToken: string | null = null;

/** The current login, or undefined when there is none (or it expired). */
export async function currentSession(): Promise<Session | undefined> {
  const res = await fetch("/dashboard/session", { headers: { accept: "application/json" } });
  if (res.status === 401) return undefined;
  return remember(await ok(res));
}

export async function logIn(token: string): Promise<Session> {
  const res = await fetch("/dashboard/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  if (res.status === 401) throw new Error("That operator token is not valid.");
  return remember(await ok(res));
}

export async function logOut(): Promise<void> {
  await send("POST", "/dashboard/logout");
  csrfToken = null;
}

/** A state-changing call; answers the JSON body, throws the problem's detail. */
export async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) throw new NotLoggedIn("Your login has expired.");
  return ok(res) as Promise<T>;
}

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

async function ok(res: Response): Promise<any> {
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(body?.detail ?? `The server answered ${res.status}.`);
  return body;
}
