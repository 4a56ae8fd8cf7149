/**
 * Redaction at the edge, end to end: personal data in prompts, context and
 * answers of sampled and shadow-judged requests leaves no trace in any D1
 * table, and never reaches an evaluator.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { putConfig, resetStorage } from "../fixtures/analyzer";
import { uniqueTag } from "../fixtures/edge";
import {
  evaluatorRequests,
  postChat,
  qualityConfig,
  simEvaluator,
  waitFor,
} from "../fixtures/quality";

const PII = {
  email: "jane.doe+canary@example.com",
  phone: "+49 30 12345678",
  key: "sk-proj-Q8x2Lm4Nt6Vb8Zc1Df3Gh5Jk7",
  card: "4111 1111 1111 1111",
  bearer: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiamFuZSJ9.c2lnbmF0dXJlMTIz",
};
const needles = [
  PII.email,
  "jane.doe",
  PII.phone,
  "12345678",
  PII.key,
  "Q8x2Lm4Nt6Vb8Zc1Df3Gh5Jk7",
  "4111111111111111",
  PII.card,
  "eyJhbGciOiJIUzI1NiJ9",
];
const leaky = `My mail is ${PII.email}, call ${PII.phone}; my key ${PII.key}, card ${PII.card}, auth ${PII.bearer}.`;

async function dumpAllTables(): Promise<string> {
  const tables = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' and name != 'd1_migrations'",
  ).all<{ name: string }>();
  const dumps = await Promise.all(
    tables.results.map(async (t) => {
      const rows = await env.DB.prepare(`select * from "${t.name}"`).all();
      return `${t.name}: ${JSON.stringify(rows.results)}`;
    }),
  );
  return dumps.join("\n");
}

it("keeps seeded emails, phone numbers, keys, cards and tokens out of D1 and away from evaluators", async () => {
  await resetStorage();
  const tag = uniqueTag("pii");
  await putConfig(
    qualityConfig(tag, {
      evaluators: [simEvaluator("mod", "moderation", tag), simEvaluator("judge", "judge", tag)],
      stable: { text: `Noted: ${leaky}` },
      canary: { text: `Sure. ${leaky}` },
      route: {
        weight: 50,
        evaluation: {
          sampleRate: { stable: 1, canary: 1 },
          evaluators: ["mod", "judge"],
          shadow: { rate: 1, maxPerMinute: 100 },
        },
      },
    }),
  );
  const body = JSON.stringify({
    model: "gpt-test",
    messages: [
      { role: "system", content: `Support desk. Escalations: ${PII.email}, ${PII.phone}.` },
      { role: "user", content: leaky },
    ],
  });
  const variants = new Set<string>();
  let requests = 0;
  // Users hash to a variant by the (run-unique) release ids: keep going until
  // both arms answered, which at weight 50 takes 8 users or a few more.
  for (let i = 0; i < 8 || (variants.size < 2 && i < 64); i++) {
    const res = await postChat(body, { "x-canary-user": `pii-user-${i}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(PII.email); // the client gets its answer untouched
    variants.add(res.headers.get("x-canary-variant")!);
    requests += 1;
  }
  expect(variants).toEqual(new Set(["stable", "canary"]));
  await waitFor("samples, pairs and their scores", async () => {
    const row = await env.DB.prepare(
      `select (select count(*) from eval_samples where kind = 'sample') as samples,
              (select count(*) from eval_samples where kind = 'pair') as pairs,
              (select count(*) from outcomes) as outcomes,
              (select count(distinct request_id) from evaluations where evaluator = 'judge') as judged`,
    ).first<{ samples: number; pairs: number; outcomes: number; judged: number }>();
    return (
      row &&
      row.samples === requests &&
      row.outcomes === requests &&
      row.judged === requests &&
      row.pairs > 0
    );
  });
  const dump = await dumpAllTables();
  expect(dump).toContain("[email]");
  expect(dump).toContain("[phone]");
  expect(dump).toContain("[api_key]");
  expect(dump).toContain("[card]");
  expect(dump).toContain("Bearer [token]");
  for (const n of needles) expect(dump).not.toContain(n);
  const sent = JSON.stringify(await evaluatorRequests(tag));
  expect(sent).toContain("[email]");
  for (const n of needles) expect(sent).not.toContain(n);
});
