/**
 * The dashboard in a real browser: the local stack serves traffic through
 * both variants (plain and streamed), the analyzer runs once, then Debian's
 * chromium (driven by playwright-core) signs in through the login form,
 * checks that every chart draws a stable and a canary series, pauses the
 * route through the confirmation dialog, and the admin API confirms the
 * change. A screenshot is written to test-results/dashboard.png. Where
 * chromium is not installed (`apt-get install chromium`), skipped with a
 * message; under CI, failed (`.ci/run` installs it).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../fixtures/tools";
import { LOCAL_VARS, ROOT, startStack } from "../../scripts/stack.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const SKIP_NOTE = `chromium is not installed at ${CHROMIUM} (apt-get install chromium): the dashboard was not tested in a browser`;
const TOKEN = LOCAL_VARS.ADMIN_TOKEN;
const ACTOR = "e2e-operator";
const CHARTS = ["requests", "error_rate", "latency_p50", "latency_p95", "ttft_p50", "ttft_p95"];

let stack: Stack | undefined;
let stateDir: string | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

async function admin<T>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack!.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Route {
  id: string;
  state: string;
  canary?: { originUrl: string; model: string; apiKeySecret?: string };
}

async function chatRoute(): Promise<Route> {
  const { body } = await admin<{ config: { routes: Route[] } }>("/admin/config");
  return body.config.routes.find((r) => r.id === "chat")!;
}

async function send(user: string, cohort: string, stream: boolean): Promise<void> {
  const res = await fetch(`${stack!.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-canary-user": user,
      "x-canary-cohort": cohort,
      "x-canary-geo": "country=US",
    },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hello dashboard" }],
      stream,
    }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

interface SeriesBody {
  series: Array<{ metric: string; stable: unknown[]; canary: unknown[] }>;
}

beforeAll(async () => {
  if (!hasChromium) {
    console.warn(SKIP_NOTE);
    return;
  }
  stateDir = await mkdtemp(join(tmpdir(), "llm-canary-dashboard-"));
  stack = await startStack({ port: await freePort(), stateDir, cron: false });
  // A fresh release, so the rollout clock starts now and the analyzer judges it.
  const canary = (await chatRoute()).canary!;
  const started = await admin("/admin/routes/chat/releases", {
    canary: { ...canary, id: "sim-canary-dashboard" },
    steps: [5, 25, 100],
    reason: "dashboard test release",
  });
  expect(started.status).toBe(200);
  for (let i = 0; i < 6; i++)
    for (const cohort of ["internal", "none"])
      await send(`dash-${cohort}-${i}`, cohort, i % 2 === 1);
  // Outcomes reach the rollups through the local queue; wait until both variants show.
  for (let i = 0; i < 60; i++) {
    const { body } = await admin<SeriesBody>("/admin/series?route=chat&metric=requests,ttft_p95");
    if (body.series.every((s) => s.stable.length > 0 && s.canary.length > 0)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await stack.runCron();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("the dashboard in chromium", () => {
  it("shows only the sign-in form without a session", async (ctx) => {
    requireTool(ctx, hasChromium, SKIP_NOTE);
    const res = await page.goto(`${stack!.url}/admin/dashboard`);
    expect(res?.status()).toBe(401);
    await expect(page.locator("#login-form").isVisible()).resolves.toBe(true);
    expect(await page.locator("section.route").count()).toBe(0);
    expect(await page.content()).not.toContain("sim-canary-dashboard");
  });

  it("refuses a wrong token and signs in with the right one", async (ctx) => {
    requireTool(ctx, hasChromium, SKIP_NOTE);
    await page.fill("#token", "not-the-admin-token-at-all");
    await page.click("#login-submit");
    await page.waitForSelector("#login-error");
    expect(await context.cookies()).toHaveLength(0);

    await page.fill("#token", TOKEN);
    await page.fill("#actor", ACTOR);
    await page.click("#login-submit");
    await page.waitForSelector('section.route[data-route="chat"]');
    expect(page.url()).toBe(`${stack!.url}/admin/dashboard`);
    const [cookie, ...others] = await context.cookies();
    expect(others).toHaveLength(0);
    expect(cookie).toMatchObject({
      name: "llm_canary_session",
      httpOnly: true,
      sameSite: "Strict",
    });
    expect(cookie!.value).not.toContain(TOKEN);
    expect(await page.content()).not.toContain(TOKEN);
  });

  it("draws every chart with a stable and a canary series", async (ctx) => {
    requireTool(ctx, hasChromium, SKIP_NOTE);
    const chat = page.locator('section.route[data-route="chat"]');
    for (const metric of CHARTS) {
      for (const variant of ["stable", "canary"]) {
        const path = chat.locator(`figure[data-metric="${metric}"] path[data-series="${variant}"]`);
        await expect(path.count(), `${metric} ${variant}`).resolves.toBe(1);
        expect(await path.getAttribute("d"), `${metric} ${variant}`).toMatch(/^M[\d.]+ [\d.]+[HL]/);
      }
    }
    await expect(chat.locator(".badge").getAttribute("data-state")).resolves.toBe("active");
    await expect(chat.locator(".weight").textContent()).resolves.toBe("5%");
    await expect(
      chat.locator(".segments td", { hasText: "internal-dogfood" }).count(),
    ).resolves.toBe(1);
    expect(await chat.locator("ol.timeline li[data-action]").count()).toBeGreaterThan(0);
    await mkdir(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results", "dashboard.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("pauses the route after confirming with a reason", async (ctx) => {
    requireTool(ctx, hasChromium, SKIP_NOTE);
    await page.click('button[data-action="pause"][data-route="chat"]');
    await page.waitForSelector("dialog#confirm[open]");
    // No reason, no change.
    await page.click("#confirm-ok");
    await page.waitForSelector("#confirm-error:not([hidden])");
    expect((await chatRoute()).state).toBe("active");

    await page.fill("#confirm-reason", "browser test pause");
    await page.click("#confirm-ok");
    await page.waitForSelector('section.route[data-route="chat"] .badge[data-state="paused"]');
    expect((await chatRoute()).state).toBe("paused");
    const { body } = await admin<{ versions: Array<{ actor: string; reason: string }> }>(
      "/admin/history?limit=1",
    );
    expect(body.versions[0]).toMatchObject({ actor: ACTOR, reason: "browser test pause" });
    await page.screenshot({ path: join(ROOT, "test-results", "dashboard.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("refuses the session's writes without the page's CSRF header", async (ctx) => {
    requireTool(ctx, hasChromium, SKIP_NOTE);
    const status = await page.evaluate(async () => {
      const res = await fetch("/admin/routes/chat/resume", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reason: "no csrf" }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    expect((await chatRoute()).state).toBe("paused");
  });
});
