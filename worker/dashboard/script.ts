/**
 * The dashboard's browser script, inlined into the page. Plain modern
 * JavaScript in a string (no build step, no library): it reads the admin API
 * with the session cookie, draws hand-written SVG line charts (one path per
 * variant, `data-series="stable"` / `"canary"`), and sends route actions
 * with the page's CSRF value after a confirmation dialog that asks for a
 * reason. Every value from the API is put into the page as text, never as
 * markup. (The string avoids backticks and dollar-brace so it can live in a
 * template literal; `test/unit/dashboard-page.unit.test.ts` parses it.)
 */
export const DASHBOARD_SCRIPT = String.raw`
(() => {
  "use strict";
  const meta = (name) => {
    const m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") || "" : "";
  };
  const BASE = meta("llm-canary-base");
  const CSRF = meta("llm-canary-csrf");
  const SVG = "http://www.w3.org/2000/svg";
  const REFRESH_MS = 15000;
  const W = 320, H = 150, L = 44, R = 8, T = 8, B = 22;
  const TITLES = {
    requests: "Requests", error_rate: "Error rate",
    latency_p50: "Latency p50", latency_p95: "Latency p95", latency_p99: "Latency p99",
    ttft_p50: "Time to first token p50", ttft_p95: "Time to first token p95",
    ttft_p99: "Time to first token p99",
  };
  let busy = false;
  let pending = null;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children || []) if (c) node.append(c);
    return node;
  }
  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = String(v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children || []) if (c) node.append(c);
    return node;
  }

  async function api(path, init) {
    const opts = Object.assign({ credentials: "same-origin" }, init || {});
    opts.headers = Object.assign({ accept: "application/json" }, opts.headers || {});
    const res = await fetch(BASE + path, opts);
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401) { location.reload(); throw new Error("signed out"); }
    if (!res.ok) {
      const msg = body && body.error && body.error.message ? body.error.message : "HTTP " + res.status;
      throw new Error(msg);
    }
    return body;
  }

  const pct = (w) => Number(Number(w).toFixed(2)) + "%";
  const sig = (x) => Math.abs(x) >= 1000 ? x.toFixed(0) : String(Number(x.toPrecision(3)));
  function fmt(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return "?";
    if (unit === "ms") return v >= 1000 ? sig(v / 1000) + " s" : sig(v) + " ms";
    if (unit === "ratio") return sig(v * 100) + "%";
    if (unit === "requests") return String(Math.round(v));
    return sig(v);
  }
  const time = (ms) => new Date(ms).toISOString().slice(11, 16);
  const stamp = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z";

  function notice(text, isError) {
    const n = document.getElementById("notice");
    n.textContent = text;
    n.className = isError ? "error" : "";
    n.hidden = !text;
  }

  function pathFor(points, x, y) {
    if (points.length === 0) return "";
    if (points.length === 1) {
      const px = x(points[0].t), py = y(points[0].v);
      return "M" + (px - 4).toFixed(1) + " " + py.toFixed(1) + "H" + (px + 4).toFixed(1);
    }
    return points.map((p, i) => (i ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p.v).toFixed(1)).join("");
  }

  function chart(s, from, to, bucketMs) {
    const title = TITLES[s.metric] || s.metric.replace(/_/g, " ");
    const unit = s.unit === "ms" ? " (ms)" : s.unit === "ratio" ? " (%)" : s.unit === "requests" ? " per bucket" : " (mean)";
    const fig = el("figure", { class: "chart", "data-metric": s.metric },
      [el("figcaption", { text: title + unit })]);
    const all = s.stable.concat(s.canary);
    if (all.length === 0) {
      fig.append(el("p", { class: "muted", text: "no data in this window" }));
      return fig;
    }
    let max = Math.max.apply(null, all.map((p) => p.v));
    max = max > 0 ? max * 1.1 : s.unit === "ratio" ? 0.01 : 1;
    const x = (t) => L + ((t + bucketMs / 2 - from) / (to - from)) * (W - L - R);
    const y = (v) => T + (1 - v / max) * (H - T - B);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title });
    for (const f of [0, 0.5, 1]) {
      const gy = y(max * f);
      root.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: gy, y2: gy }));
      root.append(svg("text", { class: "axis", x: L - 4, y: gy + 3, "text-anchor": "end", text: fmt(max * f, s.unit) }));
    }
    root.append(svg("text", { class: "axis", x: L, y: H - 6, text: time(from) }));
    root.append(svg("text", { class: "axis", x: W - R, y: H - 6, "text-anchor": "end", text: time(to) }));
    for (const variant of ["stable", "canary"]) {
      const pts = s[variant];
      if (pts.length === 0) continue;
      root.append(svg("path", { "data-series": variant, d: pathFor(pts, x, y) }));
      for (const p of pts)
        root.append(svg("circle", { class: variant, cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2 },
          [svg("title", { text: variant + " " + time(p.t) + ": " + fmt(p.v, s.unit) + " (n " + p.n + ")" })]));
    }
    fig.append(root);
    const last = (pts) => pts.length ? fmt(pts[pts.length - 1].v, s.unit) : "–";
    fig.append(el("div", { class: "legend" }, [
      el("span", { class: "stable", text: "■ stable " + last(s.stable) }),
      document.createTextNode("   "),
      el("span", { class: "canary", text: "■ canary " + last(s.canary) }),
    ]));
    return fig;
  }

  function describeMatch(match) {
    const parts = [];
    for (const [field, value] of Object.entries(match || {})) {
      if (Array.isArray(value)) parts.push(field + "=" + value.join(","));
      else if (value && typeof value === "object")
        for (const [k, vals] of Object.entries(value)) parts.push(field + "." + k + "=" + [].concat(vals).join(","));
      else parts.push(field + "=" + String(value));
    }
    return parts.join(" ") || "(everything)";
  }

  function segmentsTable(route) {
    const rows = route.segments.map((s) => el("tr", {}, [
      el("td", { text: s.name }), el("td", { text: describeMatch(s.match) }), el("td", { text: pct(s.weight) }),
    ]));
    rows.push(el("tr", {}, [el("td", { text: "default" }), el("td", { class: "muted", text: "everything else" }),
      el("td", { text: pct(route.weight) })]));
    return el("div", { class: "segments" }, [el("h3", { text: "Segments (first match wins)" }),
      el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: "rule" }), el("th", { text: "match" }),
        el("th", { text: "canary weight" })])]), el("tbody", {}, rows)])]);
  }

  function effectText(v) {
    const e = v.effect;
    const f = (x) => {
      if (x === null || x === undefined || !isFinite(x)) return "?";
      if (e.kind === "ratio") { const c = (x - 1) * 100; return (c > 0 ? "+" : "") + c.toFixed(1) + "%"; }
      if (v.stat === "rate") { const p = x * 100; return (p > 0 ? "+" : "") + p.toFixed(2) + " pp"; }
      return (x > 0 ? "+" : "") + sig(x);
    };
    if (e.estimate === null || e.estimate === undefined) return ["–", ""];
    return [f(e.estimate), "[" + f(e.lower) + ", " + f(e.upper) + "]"];
  }

  function verdictsTable(decision) {
    const rec = decision && decision.record && Array.isArray(decision.record.verdicts) ? decision.record.verdicts : [];
    const shown = rec.filter((v) => v.slice && (v.slice.dim === "all" || v.verdict === "fail"));
    if (shown.length === 0) return null;
    const rows = shown.map((v) => {
      const [delta, interval] = effectText(v);
      const slice = v.slice.dim === "all" ? "all" : v.slice.dim + "=" + v.slice.value;
      return el("tr", {}, [el("td", { text: v.metric }), el("td", { text: slice }), el("td", { text: delta }),
        el("td", { text: interval }), el("td", { class: "verdict-" + v.verdict, text: v.verdict }),
        el("td", { text: v.canary.n + "/" + v.stable.n })]);
    });
    return el("div", { class: "verdicts" }, [el("h3", { text: "Latest verdicts" }), el("table", {}, [
      el("thead", {}, [el("tr", {}, ["metric", "slice", "effect", "interval", "verdict", "n canary/stable"]
        .map((h) => el("th", { text: h })))]), el("tbody", {}, rows)])]);
  }

  function timeline(decisions) {
    const items = decisions.map((d) => {
      const reasons = d.record && Array.isArray(d.record.reasons) ? d.record.reasons : [];
      const status = d.dryRun ? "dry run" : d.applied ? "applied" : d.changed ? "not applied" : "";
      return el("li", { class: "action-" + d.action, "data-action": d.action }, [
        el("time", { datetime: new Date(d.at).toISOString(), text: stamp(d.at) }),
        el("b", { text: d.action }), document.createTextNode(status ? " · " + status : ""),
        el("div", { text: d.summary }),
        ...reasons.filter((r) => r.startsWith("to act:")).map((r) => el("div", { class: "advice", text: r })),
        reasons.length > 1 ? el("details", {}, [el("summary", { text: reasons.length + " reasons" }),
          el("ul", {}, reasons.map((r) => el("li", { text: r })))]) : null,
      ]);
    });
    return el("div", { class: "decisions" }, [el("h3", { text: "Decisions" }),
      items.length ? el("ol", { class: "timeline" }, items) : el("p", { class: "muted", text: "no decisions yet" })]);
  }

  function actionButton(route, action, label, enabled, danger) {
    return el("button", { type: "button", class: danger ? "danger" : null, "data-action": action,
      "data-route": route.id, disabled: !enabled, text: label });
  }

  function routeSection(route, version, decisions, series) {
    const r = route.rollout;
    const step = r ? "step " + (r.stepIndex + 1) + "/" + r.steps.length + " (" + r.steps.map(pct).join(" → ") + ")" : "no rollout";
    const paused = route.state === "paused";
    const live = route.state === "active" || paused;
    const head = el("div", { class: "route-head" }, [
      el("h2", { text: route.id }),
      el("span", { class: "badge state-" + route.state, "data-state": route.state, text: route.state }),
      el("span", { text: step }),
      el("span", {}, [document.createTextNode("canary weight "), el("b", { class: "weight", text: pct(route.weight) })]),
      el("span", { class: "actions" }, [
        paused ? actionButton(route, "resume", "Resume", true, false) : actionButton(route, "pause", "Pause", route.state === "active", false),
        actionButton(route, "rollback", "Roll back", !!route.canary && route.state !== "rolled_back", true),
        actionButton(route, "promote", "Promote", !!route.canary && live, false),
      ]),
    ]);
    const releases = el("div", { class: "releases" }, [
      el("b", { class: "stable", text: "stable " }), document.createTextNode(route.stable.id + " (" + route.stable.model + ")"),
      document.createTextNode("   "),
      el("b", { class: "canary", text: "canary " }),
      document.createTextNode(route.canary ? route.canary.id + " (" + route.canary.model + ")" : "none"),
    ]);
    const from = Date.parse(series.from), to = Date.parse(series.to);
    const charts = el("div", { class: "charts" }, series.series.map((s) => chart(s, from, to, series.bucketMs)));
    const cols = el("div", { class: "cols" }, [segmentsTable(route), verdictsTable(decisions[0]), timeline(decisions)]);
    return el("section", { class: "route", "data-route": route.id, "data-version": version }, [head, releases, charts, cols]);
  }

  async function load() {
    if (busy) return;
    busy = true;
    try {
      const minutes = Number(document.getElementById("range").value) || 60;
      const cfg = await api("/config");
      document.getElementById("version").textContent = "config version " + cfg.version;
      const routes = cfg.config ? cfg.config.routes : [];
      const from = Date.now() - minutes * 60000;
      const sections = [];
      for (const route of routes) {
        const id = encodeURIComponent(route.id);
        const [d, s] = await Promise.all([
          api("/decisions?limit=20&route=" + id),
          api("/series?route=" + id + "&from=" + from),
        ]);
        sections.push(routeSection(route, cfg.version, d.decisions, s));
      }
      const main = document.getElementById("routes");
      main.replaceChildren.apply(main, sections.length ? sections : [el("p", { class: "muted", text: "no routes" })]);
      main.setAttribute("data-loaded", String(Date.now()));
    } catch (e) {
      notice("Could not load: " + e.message, true);
    } finally {
      busy = false;
    }
  }

  const VERBS = {
    pause: ["Pause", "Weights stay as they are and the analyzer stops acting until someone resumes."],
    resume: ["Resume", "The analyzer judges and acts on this route again."],
    rollback: ["Roll back", "The canary stops serving: all traffic goes to stable."],
    promote: ["Promote", "The canary becomes the stable release for all traffic."],
  };

  function ask(routeId, action) {
    const dlg = document.getElementById("confirm");
    pending = { routeId: routeId, action: action };
    document.getElementById("confirm-title").textContent = VERBS[action][0] + " route " + routeId + "?";
    document.getElementById("confirm-text").textContent = VERBS[action][1];
    document.getElementById("confirm-reason").value = "";
    document.getElementById("confirm-error").hidden = true;
    dlg.showModal();
  }

  async function confirmAction(ev) {
    ev.preventDefault();
    const reason = document.getElementById("confirm-reason").value.trim();
    const err = document.getElementById("confirm-error");
    if (!reason) { err.textContent = "A reason is required."; err.hidden = false; return; }
    const p = pending;
    const ok = document.getElementById("confirm-ok");
    ok.disabled = true;
    try {
      const res = await api("/routes/" + encodeURIComponent(p.routeId) + "/" + p.action, {
        method: "POST",
        headers: { "content-type": "application/json", "x-llm-canary-csrf": CSRF },
        body: JSON.stringify({ reason: reason }),
      });
      document.getElementById("confirm").close();
      notice(p.routeId + ": " + (res.changed ? p.action + " done" : "nothing changed") + " (config version " + res.version + ")", false);
      await load();
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    } finally {
      ok.disabled = false;
    }
  }

  document.getElementById("routes").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (b && !b.disabled) ask(b.getAttribute("data-route"), b.getAttribute("data-action"));
  });
  document.getElementById("confirm-form").addEventListener("submit", confirmAction);
  document.getElementById("confirm-cancel").addEventListener("click", () => document.getElementById("confirm").close());
  document.getElementById("range").addEventListener("change", () => { load(); });
  setInterval(() => { if (!document.getElementById("confirm").open) load(); }, REFRESH_MS);
  load();
})();
`;
