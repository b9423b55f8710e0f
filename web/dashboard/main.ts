import type { SaleUpdate } from "../../src/monitor/sale-update";
import { currentSession, logIn, logOut, NotLoggedIn, type Session } from "./api";
import { CouponList } from "./coupon-list";

/*
 * The live sale dashboard. Logged out, it shows only the login form: the
 * server gives no data without the login cookie. Logged in, one
 * Server-Sent Events stream brings every watched coupon once a second.
 */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const loginSection = $("login");
const salesSection = $("sales");
const loginForm = $<HTMLFormElement>("login-form");
const tokenInput = $<HTMLInputElement>("token");
const loginError = $("login-error");
const connection = $("connection");
const updated = $("updated");
const problems = $("problems");
const coupons = new CouponList($("coupons"), $("empty"), loggedOutBy);
const time = new Intl.DateTimeFormat("en", { timeStyle: "medium" });

let stream: EventSource | undefined;

function showLogin(message = ""): void {
  stream?.close();
  stream = undefined;
  coupons.clear();
  $("loading").hidden = true;
  $("session-bar").hidden = true;
  salesSection.hidden = true;
  loginSection.hidden = false;
  loginError.textContent = message;
  tokenInput.focus();
}

function showSales(session: Session): void {
  $("loading").hidden = true;
  loginSection.hidden = true;
  salesSection.hidden = false;
  $("session-bar").hidden = false;
  const until = session.expiresAt ? ` until ${time.format(new Date(session.expiresAt))}` : "";
  $("who").textContent = `Logged in as ${session.subject}${until}`;
  watch();
}

function watch(): void {
  stream?.close();
  setConnection("Connecting…");
  stream = new EventSource("/dashboard/events");
  stream.onopen = () => setConnection("Live");
  stream.onmessage = (event: MessageEvent<string>) => {
    const update = JSON.parse(event.data) as SaleUpdate;
    coupons.show(update.coupons);
    updated.textContent = `updated ${time.format(new Date(update.at))}`;
    problems.textContent = update.problems.join("; ");
  };
  stream.onerror = () => {
    // CLOSED: the server refused the stream (the login expired); otherwise the browser is reconnecting.
    if (stream?.readyState === EventSource.CLOSED) void recheckLogin();
    else setConnection("Reconnecting…");
  };
}

function setConnection(text: string): void {
  if (connection.textContent !== text) connection.textContent = text;
}

async function recheckLogin(): Promise<void> {
  const session = await currentSession().catch(() => undefined);
  if (session) watch();
  else showLogin("Your login has expired; please log in again.");
}

/** For a failed action: if the login is gone, back to the login form (true). */
function loggedOutBy(err: unknown): boolean {
  if (!(err instanceof NotLoggedIn)) return false;
  showLogin(err.message);
  return true;
}

loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  loginError.textContent = "";
  logIn(tokenInput.value).then(
    (session) => {
      tokenInput.value = "";
      showSales(session);
    },
    (err: Error) => {
      loginError.textContent = err.message;
      tokenInput.select();
    },
  );
});

$("logout").addEventListener("click", () => {
  logOut().finally(() => showLogin());
});

currentSession().then(
  (session) => (session ? showSales(session) : showLogin()),
  () => showLogin("The server could not be reached."),
);
