/**
 * The CLI's admin client and flags: what it sends (token, actor, JSON), and
 * how each failure maps to an exit code and a message that carries the
 * API's own words. Requests go to an injected fetch that records them.
 */
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { actorFrom, positiveInt, seconds } from "../../cli/admin-flags";
import {
  AdminApiError,
  adminClient,
  describeFailure,
  exitCodeForStatus,
  normalizeUrl,
} from "../../cli/admin-client";
import { CliError } from "../../cli/output";

const Ok = z.looseObject({ ok: z.boolean() });

function fakeFetch(answer: () => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const f = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return answer();
  }) as typeof fetch;
  return { f, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

function client(f: typeof fetch, token: string | null = "tok-0123456789abcdef") {
  return adminClient({
    url: "http://edge.test/",
    token,
    actor: "alice",
    timeoutMs: 1000,
    fetch: f,
  });
}

async function failure(p: Promise<unknown>): Promise<AdminApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdminApiError);
  return e as AdminApiError;
}

describe("adminClient", () => {
  it("sends the token, the actor and a JSON body, and checks the answer", async () => {
    const { f, calls } = fakeFetch(() => json(200, { ok: true, extra: 1 }));
    const r = await client(f).post("/admin/routes/chat/pause", { reason: "r" }, Ok, {
      "if-match": "3",
    });
    expect(r).toEqual({ ok: true, extra: 1 });
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(calls[0]!.url).toBe("http://edge.test/admin/routes/chat/pause");
    expect(calls[0]!.init.method).toBe("POST");
    expect(calls[0]!.init.body).toBe('{"reason":"r"}');
    expect(headers).toMatchObject({
      authorization: "Bearer tok-0123456789abcdef",
      "x-actor": "alice",
      "content-type": "application/json",
      "if-match": "3",
    });
    expect(calls[0]!.init.redirect).toBe("manual");
  });

  it("sends no authorization header without a token", async () => {
    const { f, calls } = fakeFetch(() => json(200, { ok: true }));
    await client(f, null).get("/admin/config", Ok);
    expect(calls[0]!.init.headers).not.toHaveProperty("authorization");
  });

  it("turns a refusal into exit 1 with the API's message", async () => {
    const body = {
      error: {
        message: "The config changed since you read it; the current version is 5.",
        type: "conflict_error",
        code: "version_conflict",
        currentVersion: 5,
      },
    };
    const { f } = fakeFetch(() => json(409, body));
    const e = await failure(client(f).get("/admin/config", Ok));
    expect(e.exitCode).toBe(1);
    expect(e.status).toBe(409);
    expect(e.body).toEqual(body);
    expect(e.message).toBe(
      "the edge refused (409 version_conflict): The config changed since you read it; the current version is 5.",
    );
  });

  it("exits 3 on refused credentials, a disabled API, redirects and unreachable edges", async () => {
    const cred = await failure(
      client(
        fakeFetch(() => json(401, { error: { code: "invalid_credentials", message: "no" } })).f,
      ).get("/admin/config", Ok),
    );
    expect(cred.exitCode).toBe(3);
    expect(cred.message).toContain("Check --token or LLM_CANARY_TOKEN");

    const disabled = await failure(
      client(
        fakeFetch(() => json(503, { error: { code: "admin_disabled", message: "off" } })).f,
      ).get("/admin/config", Ok),
    );
    expect(disabled.exitCode).toBe(3);

    const redirected = await failure(
      client(
        fakeFetch(
          () =>
            new Response(null, {
              status: 302,
              headers: { location: "https://team.cloudflareaccess.com/x" },
            }),
        ).f,
      ).get("/admin/config", Ok),
    );
    expect(redirected.exitCode).toBe(3);
    expect(redirected.message).toContain("team.cloudflareaccess.com");

    const down = await failure(
      client(
        fakeFetch(() => {
          throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
        }).f,
      ).get("/admin/config", Ok),
    );
    expect(down.exitCode).toBe(3);
    expect(down.message).toBe("cannot reach the edge at http://edge.test: ECONNREFUSED");

    const slow = await failure(
      client(
        fakeFetch(() => {
          throw new DOMException("timed out", "TimeoutError");
        }).f,
      ).get("/admin/config", Ok),
    );
    expect(slow.exitCode).toBe(3);
    expect(slow.message).toContain("no answer within 1 s");
  });

  it("exits 1 on an answer that is not the expected shape", async () => {
    const e = await failure(
      client(fakeFetch(() => json(200, { nope: 1 })).f).get("/admin/config", Ok),
    );
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/unexpected answer .*ok:/);
  });
});

describe("failure mapping", () => {
  it("maps statuses to exit codes", () => {
    expect([400, 404, 409, 422, 428, 500, 502].map(exitCodeForStatus)).toEqual([
      1, 1, 1, 1, 1, 1, 1,
    ]);
    expect([401, 403, 503, 301, 302, 307].map(exitCodeForStatus)).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it("describes non-JSON answers and missing tokens", () => {
    expect(describeFailure(502, "<html>Bad gateway</html>", true)).toBe(
      "the edge refused (502): <html>Bad gateway</html>",
    );
    expect(
      describeFailure(
        401,
        { error: { code: "missing_credentials", message: "Admin credentials are required." } },
        false,
      ),
    ).toContain("No token was given");
  });

  it("checks the URL", () => {
    expect(normalizeUrl("http://127.0.0.1:8787/")).toBe("http://127.0.0.1:8787");
    expect(() => normalizeUrl("127.0.0.1:8787")).toThrow(CliError);
    expect(() => normalizeUrl("ftp://x")).toThrow(/http or https/);
  });
});

describe("flags", () => {
  it("parses seconds and whole numbers, refusing the rest with exit 2", () => {
    expect(seconds(undefined, "interval", 5)).toBe(5);
    expect(seconds("2.5", "interval", 5)).toBe(2.5);
    expect(seconds("10s", "interval", 5)).toBe(10);
    expect(seconds("500ms", "interval", 5)).toBe(0.5);
    expect(positiveInt("3", "limit")).toBe(3);
    for (const bad of [
      () => seconds("0", "interval", 5),
      () => seconds("soon", "interval", 5),
      () => positiveInt("1.5", "limit"),
      () => positiveInt("0", "limit"),
    ]) {
      expect(bad).toThrow(CliError);
      try {
        bad();
      } catch (e) {
        expect((e as CliError).exitCode).toBe(2);
      }
    }
  });

  it("takes the actor from --actor (printable ASCII) or the OS user", () => {
    expect(actorFrom("alice@example.com")).toBe("alice@example.com");
    expect(() => actorFrom("jürgen")).toThrow(/printable ASCII/);
    expect(() => actorFrom("")).toThrow(CliError);
    expect(actorFrom(undefined)).toMatch(/^[\x20-\x7e]{1,64}$/);
  });
});
