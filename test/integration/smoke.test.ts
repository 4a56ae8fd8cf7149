import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("reaches the worker, D1 and the origin", async () => {
  const res = await SELF.fetch("http://edge/");
  expect(await res.text()).toBe("ok");
  const row = await env.DB.prepare("select count(*) as n from outcomes").first<{ n: number }>();
  expect(row?.n).toBe(0);
  const o = await fetch(env.ORIGIN_STABLE);
  expect(await o.text()).toBe("stable");
});
