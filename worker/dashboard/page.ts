/**
 * The dashboard's HTML: one self-contained page (inline CSS and script, no
 * CDN, no chart library) and the login form browsers see first. The page
 * only draws; its data comes from the admin API with the session cookie, and
 * changes go back with the CSRF value embedded here. A per-response nonce
 * lets the Content-Security-Policy allow exactly these inline blocks.
 * Built with `hono/html`: every interpolated value is escaped, only the
 * bundled script and style are inserted raw.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { DASHBOARD_SCRIPT } from "./script.gen";
import { DASHBOARD_STYLE } from "./style";

/** Headers for every dashboard HTML response: strict CSP with the nonce, no caching, no framing. */
export function pageHeaders(nonce: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join("; "),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

function shell(title: string, nonce: string, head: Html | string, body: Html): string {
  return String(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${title}</title>
          <link rel="icon" href="data:," />
          ${head}
          <style nonce="${nonce}">
            ${raw(DASHBOARD_STYLE)}
          </style>
        </head>
        <body>
          ${body}
        </body>
      </html>`,
  );
}

export interface DashboardPageInput {
  /** Path the admin API is mounted at, e.g. `/admin`. */
  base: string;
  /** The session's CSRF value (empty for Cloudflare Access, which needs none). */
  csrf: string;
  /** Who is signed in, for the header. */
  actor: string;
  nonce: string;
}

/** The dashboard page. */
export function dashboardPage(p: DashboardPageInput): string {
  const head = html`<meta name="llm-canary-base" content="${p.base}" />
    <meta name="llm-canary-csrf" content="${p.csrf}" />`;
  const body = html`<header class="top">
      <h1>llm-canary</h1>
      <span class="muted" id="version"></span>
      <label class="range"
        >window
        <select id="range">
          <option value="15">15 min</option>
          <option value="60" selected>1 h</option>
          <option value="360">6 h</option>
          <option value="1440">24 h</option>
        </select>
      </label>
      <span class="spacer"></span>
      <span class="muted">signed in as ${p.actor}</span>
      <form method="post" action="${p.base}/session/logout">
        <button type="submit">Sign out</button>
      </form>
    </header>
    <p id="notice" role="status" hidden></p>
    <main id="routes"><p class="muted">Loading…</p></main>
    <dialog id="confirm">
      <form method="dialog" id="confirm-form">
        <h3 id="confirm-title"></h3>
        <p id="confirm-text"></p>
        <label for="confirm-reason">Reason (recorded in the config history)</label>
        <textarea id="confirm-reason" rows="3" maxlength="500"></textarea>
        <p id="confirm-error" class="error" hidden></p>
        <menu>
          <button type="button" id="confirm-cancel">Cancel</button>
          <button type="submit" id="confirm-ok" class="danger">Confirm</button>
        </menu>
      </form>
    </dialog>
    <script nonce="${p.nonce}">
      ${raw(DASHBOARD_SCRIPT)};
    </script>`;
  return shell("llm-canary dashboard", p.nonce, head, body);
}

/** The login form (no data): the admin token is POSTed once for a session cookie. */
export function loginPage(p: { base: string; nonce: string; error?: string }): string {
  const error = p.error ? html`<p class="error" id="login-error">${p.error}</p>` : "";
  const body = html`<main class="login">
    <h1>llm-canary</h1>
    <p class="muted">
      Sign in with the admin token. It is exchanged for a session cookie and never stored in the
      page or a URL.
    </p>
    ${error}
    <form method="post" action="${p.base}/session" id="login-form">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required />
      <label for="actor">Your name (recorded with every change)</label>
      <input id="actor" name="actor" type="text" maxlength="64" autocomplete="username" />
      <button type="submit" id="login-submit">Sign in</button>
    </form>
  </main>`;
  return shell("llm-canary: sign in", p.nonce, "", body);
}
