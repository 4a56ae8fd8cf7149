// @ts-check
/**
 * `npm start`: the whole system locally on embedded defaults. State lives in
 * `.state/` (delete it to start fresh). Ports: EDGE_PORT (8787), STABLE_PORT
 * (8701), CANARY_PORT (8702).
 */
import { LOCAL_VARS, startStack } from "./stack.mjs";

/**
 * A quick-start policy, so a newcomer sees a step advance within minutes of
 * local traffic: 2 minutes and 300 canary requests a step instead of the
 * production defaults (10 minutes, 1,000). Set ANALYZER_POLICY to override.
 */
export const QUICK_START_POLICY = { minStepDurationMs: 2 * 60_000, minCanarySamples: 300 };

/**
 * Both simulated models answer after the same delay (SIM_LATENCY_MS, 80 ms),
 * as two versions of one real model would. An instant answer would leave only
 * the local runtime's scheduling jitter to compare, whose p95 is mostly noise
 * and keeps the latency check inconclusive for thousands of requests.
 */
const simLatencyMs = Number(process.env.SIM_LATENCY_MS ?? 80);

const port = Number(process.env.EDGE_PORT ?? 8787);
const stack = await startStack({
  port,
  vars: { ANALYZER_POLICY: process.env.ANALYZER_POLICY ?? JSON.stringify(QUICK_START_POLICY) },
  stable: { latencyMs: simLatencyMs },
  canary: { latencyMs: simLatencyMs },
  stablePort: Number(process.env.STABLE_PORT ?? 8701),
  canaryPort: Number(process.env.CANARY_PORT ?? 8702),
  log: (line) => console.log(`[llm-canary] ${line}`),
});

console.log(`
llm-canary is running at ${stack.url}

  curl -s ${stack.url}/v1/chat/completions -H 'content-type: application/json' \\
    -H 'x-canary-user: alice' -H 'x-canary-geo: country=DE' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}' -i

  Dashboard: ${stack.url}/admin/dashboard (sign in with the admin token)
  Admin token (local only): ${LOCAL_VARS.ADMIN_TOKEN}
  CLI: LLM_CANARY_URL=${stack.url} LLM_CANARY_TOKEN=${LOCAL_VARS.ADMIN_TOKEN} npx llm-canary status
  The analyzer runs every minute; trigger it now with: curl '${stack.url}/__scheduled'
  State: ${stack.stateDir} (delete it to start fresh). Ctrl-C stops everything.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("[llm-canary] stopping");
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
