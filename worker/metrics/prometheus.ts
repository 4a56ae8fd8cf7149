/**
 * Prometheus text exposition format (version 0.0.4), rendered from plain
 * metric families. Pure. Label values and help text are escaped as the
 * format requires; names are checked, since a bad name breaks the scrape.
 */

export type MetricType = "gauge" | "counter" | "summary";

export interface Sample {
  /** Appended to the family name, e.g. `_sum` and `_count` for summaries. */
  suffix?: "" | "_sum" | "_count";
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes `\`, `"` and newlines in a label value. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes `\` and newlines in help text. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelSet(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return "";
  for (const [k] of entries)
    if (!LABEL_NAME.test(k) || k.startsWith("__")) throw new Error(`invalid label name ${k}`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/**
 * @example
 * renderPrometheus([{ name: "up", help: "1 when up.", type: "gauge", samples: [{ value: 1 }] }]);
 * // "# HELP up 1 when up.\n# TYPE up gauge\nup 1\n"
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    if (seen.has(f.name)) throw new Error(`duplicate metric family ${f.name}`);
    seen.add(f.name);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples)
      lines.push(`${f.name}${s.suffix ?? ""}${labelSet(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
