/** The dashboard's stylesheet, inlined into the page (no external assets). */
export const DASHBOARD_STYLE = String.raw`
:root { color-scheme: light dark; --stable: #2563eb; --canary: #ea580c; --fail: #dc2626;
  --pass: #16a34a; --warn: #ca8a04; --muted: #6b7280; --line: #d1d5db; --bg2: rgba(127,127,127,.08); }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 17px; margin: 0; }
h3 { font-size: 15px; margin: 0 0 8px; }
.top { display: flex; align-items: center; gap: 14px; padding: 10px 18px; border-bottom: 1px solid var(--line); }
.top form { margin: 0; }
.spacer { flex: 1; }
.muted { color: var(--muted); }
.error { color: var(--fail); }
main { padding: 14px 18px; }
#notice { margin: 10px 18px 0; padding: 8px 12px; border-radius: 6px; background: var(--bg2); }
#notice.error { border: 1px solid var(--fail); }
.route { border: 1px solid var(--line); border-radius: 8px; padding: 14px; margin-bottom: 18px; }
.route-head { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; }
.route-head .actions { margin-left: auto; display: flex; gap: 8px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: var(--bg2); }
.state-active { color: var(--pass); } .state-paused { color: var(--warn); }
.state-rolled_back { color: var(--fail); } .state-promoted { color: var(--stable); }
.releases { margin: 8px 0 12px; color: var(--muted); }
.releases b.stable { color: var(--stable); } .releases b.canary { color: var(--canary); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
figure.chart figcaption { font-weight: 600; margin-bottom: 4px; }
figure.chart svg { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { fill: var(--muted); font-size: 10px; }
svg path[data-series] { fill: none; stroke-width: 2; }
svg path[data-series="stable"], svg circle.stable { stroke: var(--stable); fill: none; }
svg path[data-series="canary"], svg circle.canary { stroke: var(--canary); fill: none; }
svg circle { stroke-width: 1.5; }
.legend { font-size: 12px; color: var(--muted); }
.legend .stable { color: var(--stable); } .legend .canary { color: var(--canary); }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; margin-top: 14px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; }
.verdict-fail { color: var(--fail); font-weight: 600; } .verdict-pass { color: var(--pass); }
.verdict-inconclusive { color: var(--warn); } .verdict-insufficient { color: var(--muted); }
ol.timeline { list-style: none; padding: 0; margin: 0; max-height: 340px; overflow: auto; }
ol.timeline li { border-left: 3px solid var(--line); padding: 2px 0 8px 10px; }
ol.timeline li.action-rollback, ol.timeline li.action-error { border-color: var(--fail); }
ol.timeline li.action-promote, ol.timeline li.action-advance { border-color: var(--pass); }
ol.timeline li.action-exclude_segment, ol.timeline li.action-freeze,
ol.timeline li.action-stuck { border-color: var(--warn); }
ol.timeline li .advice { color: var(--warn); font-weight: 600; }
ol.timeline time { color: var(--muted); font-size: 12px; margin-right: 6px; }
button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg2); cursor: pointer; }
button.danger { border-color: var(--fail); color: var(--fail); }
button:disabled { opacity: .5; cursor: default; }
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 460px; width: 90vw; }
dialog textarea { width: 100%; font: inherit; margin-top: 4px; }
dialog menu { display: flex; justify-content: flex-end; gap: 8px; padding: 0; margin: 12px 0 0; }
.login { max-width: 380px; margin: 8vh auto; display: block; }
.login form { display: grid; gap: 6px; margin-top: 14px; }
.login input { font: inherit; padding: 6px 8px; }
.login button { margin-top: 8px; }
`;
