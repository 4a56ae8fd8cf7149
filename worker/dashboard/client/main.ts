/**
 * The dashboard's browser script, bundled by esbuild into the page's inline
 * script (`scripts/build-dashboard.mjs` → `../script.gen.ts`). It reads the
 * admin API with the session cookie, draws SVG line charts (one path per
 * variant, `data-series="stable"` / `"canary"`), and sends route actions with
 * the page's CSRF value after a confirmation dialog that asks for a reason.
 * Every value from the API is put into the page as text, never as markup
 * (`dom.ts`). No framework, no other request than the admin API's.
 */
import type {
  ActionResponse,
  ConfigResponse,
  DecisionView,
  RouteView,
  SeriesResponse,
  VerdictView,
} from "../../../contracts/admin-api";
import { byId, el, svg, text } from "./dom";
import {
  decisionStatus,
  describeMatch,
  effectText,
  fmt,
  pathFor,
  pct,
  stamp,
  time,
  unitCaption,
} from "./format";

type Series = SeriesResponse["series"][number];
type Action = "pause" | "resume" | "rollback" | "promote";

const meta = (name: string): string =>
  document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
const BASE = meta("llm-canary-base");
const CSRF = meta("llm-canary-csrf");
const REFRESH_MS = 15_000;
/** Chart size and margins (left, right, top, bottom), in SVG units. */
const W = 320;
const H = 150;
const L = 44;
const R = 8;
const T = 8;
const B = 22;
const TITLES: Record<string, string> = {
  requests: "Requests",
  error_rate: "Error rate",
  latency_p50: "Latency p50",
  latency_p95: "Latency p95",
  latency_p99: "Latency p99",
  ttft_p50: "Time to first token p50",
  ttft_p95: "Time to first token p95",
  ttft_p99: "Time to first token p99",
};
const VERBS: Record<Action, [string, string]> = {
  pause: ["Pause", "Weights stay as they are and the analyzer stops acting until someone resumes."],
  resume: ["Resume", "The analyzer judges and acts on this route again."],
  rollback: ["Roll back", "The canary stops serving: all traffic goes to stable."],
  promote: ["Promote", "The canary becomes the stable release for all traffic."],
};

let busy = false;
let pending: { routeId: string; action: Action } | null = null;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(BASE + path, {
    credentials: "same-origin",
    ...init,
    headers: { accept: "application/json", ...(init.headers as Record<string, string>) },
  });
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 401) {
    location.reload();
    throw new Error("signed out");
  }
  if (!res.ok) {
    const msg = (body as { error?: { message?: string } } | null)?.error?.message;
    throw new Error(msg ?? `HTTP ${res.status}`);
  }
  return body as T;
}

function notice(message: string, isError: boolean): void {
  const n = byId("notice");
  n.textContent = message;
  n.className = isError ? "error" : "";
  n.hidden = !message;
}

function chart(s: Series, from: number, to: number, bucketMs: number): HTMLElement {
  const title = TITLES[s.metric] ?? s.metric.replace(/_/g, " ");
  const fig = el("figure", { class: "chart", "data-metric": s.metric }, [
    el("figcaption", { text: title + unitCaption(s.unit) }),
  ]);
  const all = s.stable.concat(s.canary);
  if (all.length === 0) {
    fig.append(el("p", { class: "muted", text: "no data in this window" }));
    return fig;
  }
  const top = Math.max(...all.map((p) => p.v));
  const max = top > 0 ? top * 1.1 : s.unit === "ratio" ? 0.01 : 1;
  const x = (t: number) => L + ((t + bucketMs / 2 - from) / (to - from)) * (W - L - R);
  const y = (v: number) => T + (1 - v / max) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  for (const f of [0, 0.5, 1]) {
    const gy = y(max * f);
    root.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: gy, y2: gy }));
    root.append(
      svg("text", {
        class: "axis",
        x: L - 4,
        y: gy + 3,
        "text-anchor": "end",
        text: fmt(max * f, s.unit),
      }),
    );
  }
  root.append(svg("text", { class: "axis", x: L, y: H - 6, text: time(from) }));
  root.append(
    svg("text", { class: "axis", x: W - R, y: H - 6, "text-anchor": "end", text: time(to) }),
  );
  for (const variant of ["stable", "canary"] as const) {
    const pts = s[variant];
    if (pts.length === 0) continue;
    root.append(svg("path", { "data-series": variant, d: pathFor(pts, x, y) }));
    for (const p of pts)
      root.append(
        svg("circle", { class: variant, cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2 }, [
          svg("title", { text: `${variant} ${time(p.t)}: ${fmt(p.v, s.unit)} (n ${p.n})` }),
        ]),
      );
  }
  fig.append(root);
  const last = (pts: Series["stable"]) => {
    const p = pts[pts.length - 1];
    return p ? fmt(p.v, s.unit) : "–";
  };
  fig.append(
    el("div", { class: "legend" }, [
      el("span", { class: "stable", text: `■ stable ${last(s.stable)}` }),
      text("   "),
      el("span", { class: "canary", text: `■ canary ${last(s.canary)}` }),
    ]),
  );
  return fig;
}

function table(headers: readonly string[], rows: HTMLElement[]): HTMLElement {
  return el("table", {}, [
    el("thead", {}, [
      el(
        "tr",
        {},
        headers.map((h) => el("th", { text: h })),
      ),
    ]),
    el("tbody", {}, rows),
  ]);
}

function segmentsTable(route: RouteView): HTMLElement {
  const rows = route.segments.map((s) =>
    el("tr", {}, [
      el("td", { text: s.name }),
      el("td", { text: describeMatch(s.match) }),
      el("td", { text: pct(s.weight) }),
    ]),
  );
  rows.push(
    el("tr", {}, [
      el("td", { text: "default" }),
      el("td", { class: "muted", text: "everything else" }),
      el("td", { text: pct(route.weight) }),
    ]),
  );
  return el("div", { class: "segments" }, [
    el("h3", { text: "Segments (first match wins)" }),
    table(["rule", "match", "canary weight"], rows),
  ]);
}

/** The verdicts of a decision's record (none when it is not a statistics record). */
function recordOf(d: DecisionView | undefined): { reasons: string[]; verdicts: VerdictView[] } {
  const r = d?.record as { reasons?: unknown; verdicts?: unknown } | null | undefined;
  return {
    reasons: Array.isArray(r?.reasons) ? (r.reasons as string[]) : [],
    verdicts: Array.isArray(r?.verdicts) ? (r.verdicts as VerdictView[]) : [],
  };
}

function verdictsTable(decision: DecisionView | undefined): HTMLElement | null {
  const shown = recordOf(decision).verdicts.filter(
    (v) => v.slice && (v.slice.dim === "all" || v.verdict === "fail"),
  );
  if (shown.length === 0) return null;
  const rows = shown.map((v) => {
    const [delta, interval] = effectText(v);
    const slice = v.slice.dim === "all" ? "all" : `${v.slice.dim}=${v.slice.value}`;
    return el("tr", {}, [
      el("td", { text: v.metric }),
      el("td", { text: slice }),
      el("td", { text: delta }),
      el("td", { text: interval }),
      el("td", { class: `verdict-${v.verdict}`, text: v.verdict }),
      el("td", { text: `${v.canary.n}/${v.stable.n}` }),
    ]);
  });
  return el("div", { class: "verdicts" }, [
    el("h3", { text: "Latest verdicts" }),
    table(["metric", "slice", "effect", "interval", "verdict", "n canary/stable"], rows),
  ]);
}

function timeline(decisions: readonly DecisionView[]): HTMLElement {
  const items = decisions.map((d) => {
    const { reasons } = recordOf(d);
    const status = decisionStatus(d);
    return el("li", { class: `action-${d.action}`, "data-action": d.action }, [
      el("time", { datetime: new Date(d.at).toISOString(), text: stamp(d.at) }),
      el("b", { text: d.action }),
      text(status ? ` · ${status}` : ""),
      el("div", { text: d.summary }),
      ...reasons
        .filter((r) => r.startsWith("to act:"))
        .map((r) => el("div", { class: "advice", text: r })),
      reasons.length > 1
        ? el("details", {}, [
            el("summary", { text: `${reasons.length} reasons` }),
            el(
              "ul",
              {},
              reasons.map((r) => el("li", { text: r })),
            ),
          ])
        : null,
    ]);
  });
  return el("div", { class: "decisions" }, [
    el("h3", { text: "Decisions" }),
    items.length
      ? el("ol", { class: "timeline" }, items)
      : el("p", { class: "muted", text: "no decisions yet" }),
  ]);
}

function actionButton(
  route: RouteView,
  action: Action,
  label: string,
  enabled: boolean,
  danger: boolean,
): HTMLElement {
  return el("button", {
    type: "button",
    class: danger ? "danger" : null,
    "data-action": action,
    "data-route": route.id,
    disabled: !enabled,
    text: label,
  });
}

function routeSection(
  route: RouteView,
  version: number,
  decisions: readonly DecisionView[],
  series: SeriesResponse,
): HTMLElement {
  const r = route.rollout;
  const step = r
    ? `step ${r.stepIndex + 1}/${r.steps.length} (${r.steps.map(pct).join(" → ")})`
    : "no rollout";
  const paused = route.state === "paused";
  const live = route.state === "active" || paused;
  const head = el("div", { class: "route-head" }, [
    el("h2", { text: route.id }),
    el("span", {
      class: `badge state-${route.state}`,
      "data-state": route.state,
      text: route.state,
    }),
    el("span", { text: step }),
    el("span", {}, [text("canary weight "), el("b", { class: "weight", text: pct(route.weight) })]),
    el("span", { class: "actions" }, [
      paused
        ? actionButton(route, "resume", "Resume", true, false)
        : actionButton(route, "pause", "Pause", route.state === "active", false),
      actionButton(
        route,
        "rollback",
        "Roll back",
        !!route.canary && route.state !== "rolled_back",
        true,
      ),
      actionButton(route, "promote", "Promote", !!route.canary && live, false),
    ]),
  ]);
  const releases = el("div", { class: "releases" }, [
    el("b", { class: "stable", text: "stable " }),
    text(`${route.stable.id} (${route.stable.model})`),
    text("   "),
    el("b", { class: "canary", text: "canary " }),
    text(route.canary ? `${route.canary.id} (${route.canary.model})` : "none"),
  ]);
  const from = Date.parse(series.from);
  const to = Date.parse(series.to);
  const charts = el(
    "div",
    { class: "charts" },
    series.series.map((s) => chart(s, from, to, series.bucketMs)),
  );
  const cols = el("div", { class: "cols" }, [
    segmentsTable(route),
    verdictsTable(decisions[0]),
    timeline(decisions),
  ]);
  return el("section", { class: "route", "data-route": route.id, "data-version": version }, [
    head,
    releases,
    charts,
    cols,
  ]);
}

async function load(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const minutes = Number(byId<HTMLSelectElement>("range").value) || 60;
    const cfg = await api<ConfigResponse>("/config");
    byId("version").textContent = `config version ${cfg.version}`;
    const routes = cfg.config ? cfg.config.routes : [];
    const from = Date.now() - minutes * 60_000;
    const sections: HTMLElement[] = [];
    for (const route of routes) {
      const id = encodeURIComponent(route.id);
      const [d, s] = await Promise.all([
        api<{ decisions: DecisionView[] }>(`/decisions?limit=20&route=${id}`),
        api<SeriesResponse>(`/series?route=${id}&from=${from}`),
      ]);
      sections.push(routeSection(route, cfg.version, d.decisions, s));
    }
    const main = byId("routes");
    main.replaceChildren(
      ...(sections.length ? sections : [el("p", { class: "muted", text: "no routes" })]),
    );
    main.setAttribute("data-loaded", String(Date.now()));
  } catch (e) {
    notice(`Could not load: ${(e as Error).message}`, true);
  } finally {
    busy = false;
  }
}

function ask(routeId: string, action: Action): void {
  pending = { routeId, action };
  byId("confirm-title").textContent = `${VERBS[action][0]} route ${routeId}?`;
  byId("confirm-text").textContent = VERBS[action][1];
  byId<HTMLTextAreaElement>("confirm-reason").value = "";
  byId("confirm-error").hidden = true;
  byId<HTMLDialogElement>("confirm").showModal();
}

async function confirmAction(ev: Event): Promise<void> {
  ev.preventDefault();
  const reason = byId<HTMLTextAreaElement>("confirm-reason").value.trim();
  const err = byId("confirm-error");
  if (!reason) {
    err.textContent = "A reason is required.";
    err.hidden = false;
    return;
  }
  const p = pending;
  if (!p) return;
  const ok = byId<HTMLButtonElement>("confirm-ok");
  ok.disabled = true;
  try {
    const res = await api<ActionResponse>(`/routes/${encodeURIComponent(p.routeId)}/${p.action}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-llm-canary-csrf": CSRF },
      body: JSON.stringify({ reason }),
    });
    byId<HTMLDialogElement>("confirm").close();
    const what = res.changed ? `${p.action} done` : "nothing changed";
    notice(`${p.routeId}: ${what} (config version ${res.version})`, false);
    await load();
  } catch (e) {
    err.textContent = (e as Error).message;
    err.hidden = false;
  } finally {
    ok.disabled = false;
  }
}

const isAction = (a: string | null): a is Action => a !== null && a in VERBS;

byId("routes").addEventListener("click", (ev) => {
  const b = (ev.target as Element | null)?.closest<HTMLButtonElement>("button[data-action]");
  const action = b?.getAttribute("data-action") ?? null;
  if (b && !b.disabled && isAction(action)) ask(b.getAttribute("data-route") ?? "", action);
});
byId("confirm-form").addEventListener("submit", (ev) => void confirmAction(ev));
byId("confirm-cancel").addEventListener("click", () => byId<HTMLDialogElement>("confirm").close());
byId("range").addEventListener("change", () => void load());
setInterval(() => {
  if (!byId<HTMLDialogElement>("confirm").open) void load();
}, REFRESH_MS);
void load();
