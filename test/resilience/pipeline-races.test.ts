/**
 * Resilience, section "pipeline failing", concurrent writers (issue 7, row
 * 16): an operator writes through the admin API while the analyzer's cron
 * run promotes the canary. Each round starts from the same seeded version 1
 * and the same rollups (a healthy canary the analyzer advances from 50% to
 * 100%); who starts first, and by how much, varies from round to round.
 * One writer's D1 writes take 60 ms longer than usual, which widens the
 * window between its read and its write: the analyzer's against an edit,
 * the operator's against a rollback. That overlap is what both must survive.
 */
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reconcile } from "../../store/config-store";
import worker from "../../worker/index";
import { adminFetch, EDGE } from "../fixtures/admin";
import {
  decisionRows,
  ingest,
  kvConfig,
  putConfig,
  resetStorage,
  CRON,
  rolloutConfig,
  runCron,
  versions,
} from "../fixtures/analyzer";
import {
  captureConsole,
  MIN,
  resetConfigHistory,
  sleep,
  T0,
  traffic,
  type CapturedConsole,
} from "./support";

const ROUNDS = 100;
const SLOW_WRITE_MS = 60;
const seeded = () => rolloutConfig({ weight: 50, stepIndex: 1 });

/** The bindings with a D1 whose batch writes start `ms` late. */
function slowWrites(ms: number): Env {
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch")
        return (statements: D1PreparedStatement[]) =>
          sleep(ms).then(() => target.batch(statements));
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...env, DB: db };
}

async function cronWith(bindings: Env, scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: CRON }), bindings, ctx);
}

/** An admin API call through the Worker's entry with the given bindings. */
async function adminWith(bindings: Env, path: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${EDGE}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

interface Round {
  scheduled: number;
  /** Starts `f` when the operator's turn comes in this round. */
  operator: <T>(f: () => Promise<T>) => Promise<T>;
  /** The analyzer's cron run of this round, with these bindings. */
  cron: (bindings: Env) => Promise<void>;
}

/** Resets the config history to the seeded version 1, then times round `i`. */
async function round(i: number): Promise<Round> {
  await resetConfigHistory();
  await putConfig(seeded());
  expect(await reconcile(drizzle(env.DB), env.CONFIG, Date.now())).toMatchObject({
    status: "seeded",
    version: 1,
  });
  const scheduled = T0 + (20 + i * 2) * MIN;
  // From the operator 40 ms ahead of the analyzer to 194 ms behind it.
  const offset = ((i * 37) % 40) * 6 - 40;
  return {
    scheduled,
    operator: (f) => sleep(Math.max(0, offset)).then(f),
    cron: (bindings) => sleep(Math.max(0, -offset)).then(() => cronWith(bindings, scheduled)),
  };
}

let logs: CapturedConsole;
beforeAll(async () => {
  logs = captureConsole();
  await resetStorage();
  await putConfig(seeded());
  await ingest(traffic(1, 11, 200, 0.5));
  return () => logs.restore();
});
beforeEach(() => {
  logs.restore();
  logs = captureConsole();
});

/** Round `i`'s operator edit (If-Match: 1) against the promotion; true when both changes survive. */
async function editRace(i: number, r: Round, tally: Record<string, number>): Promise<boolean> {
  const timeout = 30_000 + i;
  const patch = (version: number) =>
    adminFetch("/admin/config", {
      method: "PATCH",
      headers: { "if-match": String(version) },
      body: { settings: { streamIdleTimeoutMs: timeout }, reason: `race ${i}` },
    });
  const [res] = await Promise.all([r.operator(() => patch(1)), r.cron(slowWrites(SLOW_WRITE_MS))]);
  if (res.status === 409) {
    // The analyzer committed version 2 first: the operator's version 1 is stale.
    tally.stale409! += 1;
    const err = (await res.json()) as { error: { code: string; currentVersion: number } };
    expect(err.error).toMatchObject({ code: "version_conflict", currentVersion: 2 });
    expect((await patch(2)).status).toBe(200);
  } else {
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const decision = (await decisionRows()).at(-1)!;
    if (decision.applied === 0) {
      // Both read version 1 and the operator committed first: the analyzer stood down.
      tally.analyzerRefused! += 1;
      expect(decision.record).toMatch(/not applied: a concurrent change/);
      await runCron(r.scheduled + MIN);
    } else tally.operatorBeforeRead! += 1;
  }
  const kv = (await kvConfig()) as Awaited<ReturnType<typeof kvConfig>> & {
    settings: { streamIdleTimeoutMs: number };
  };
  return kv.settings.streamIdleTimeoutMs === timeout && kv.routes[0]!.weight === 100;
}

/** Round `i`'s operator rollback against the promotion; true when it is still rolled back. */
async function rollbackRace(i: number, r: Round): Promise<boolean> {
  const [res] = await Promise.all([
    r.operator(() =>
      adminWith(slowWrites(SLOW_WRITE_MS), "/admin/routes/chat/rollback", {
        reason: `race ${i}`,
      }),
    ),
    r.cron(env),
  ]);
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  await runCron(r.scheduled + MIN);
  const rolledBack = (x: { state: string; weight: number }) =>
    x.state === "rolled_back" && x.weight === 0;
  const stored = JSON.parse((await versions()).at(-1)!.doc) as {
    routes: Array<{ state: string; weight: number }>;
  };
  return rolledBack((await kvConfig()).routes[0]!) && rolledBack(stored.routes[0]!);
}

describe("pipeline failing: concurrent writers", () => {
  it("row 16: 100 races of operator writes (50 edits, 50 rollbacks) against an analyzer promotion: 0 lost updates, the stale writer gets 409, 0 rollbacks undone", async () => {
    const tally = { stale409: 0, analyzerRefused: 0, operatorBeforeRead: 0, lost: 0, undone: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const r = await round(i);
      if (i % 2 === 0) {
        if (!(await editRace(i, r, tally))) tally.lost += 1;
      } else if (!(await rollbackRace(i, r))) tally.undone += 1;
    }
    logs.restore();
    console.info(JSON.stringify({ row16: tally }));
    expect(tally.lost).toBe(0);
    expect(tally.undone).toBe(0);
    expect(tally.stale409 + tally.analyzerRefused + tally.operatorBeforeRead).toBe(ROUNDS / 2);
    expect(tally.stale409).toBeGreaterThan(0);
  }, 90_000);
});
