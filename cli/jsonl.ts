/**
 * Reading outcome exports (JSONL: `OutcomeEvent` lines, then quality records;
 * contracts/export.ts). Every line is validated; errors name the line and the
 * field. An export from before quality records existed has none.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { describeIssues } from "../contracts/config";
import { QualityRecordSchema, type QualityRecord } from "../contracts/export";
import { OutcomeEventSchema, type OutcomeEvent } from "../contracts/outcome";
import { CliError } from "./output";

export interface OutcomeExport {
  events: OutcomeEvent[];
  quality: QualityRecord[];
}

const isQualityLine = (v: unknown) =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "quality";

export async function readOutcomes(
  path: string,
  onLine?: (n: number) => void,
): Promise<OutcomeExport> {
  const events: OutcomeEvent[] = [];
  const quality: QualityRecord[] = [];
  const errors: string[] = [];
  let n = 0;
  const stream = createReadStream(path, "utf8");
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (e) => reject(new CliError(`cannot read ${path}: ${e.message}`, 2)));
  });
  await opened;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    n += 1;
    onLine?.(n);
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      errors.push(`line ${n}: not JSON`);
      continue;
    }
    if (isQualityLine(value)) {
      const parsed = QualityRecordSchema.safeParse(value);
      if (parsed.success) quality.push(parsed.data);
      else errors.push(...describeIssues(parsed.error).map((e) => `line ${n}: ${e}`));
    } else {
      const parsed = OutcomeEventSchema.safeParse(value);
      if (parsed.success) events.push(parsed.data);
      else errors.push(...describeIssues(parsed.error).map((e) => `line ${n}: ${e}`));
    }
    if (errors.length >= 20) break;
  }
  if (errors.length > 0)
    throw new CliError(`${path} has invalid outcome events:\n  ${errors.join("\n  ")}`, 2);
  return { events, quality };
}
