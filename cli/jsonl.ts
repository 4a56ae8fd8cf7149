/**
 * Reading outcome exports (JSONL, one `OutcomeEvent` per line). Every line is
 * validated; errors name the line and the field.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { describeIssues } from "../contracts/config";
import { OutcomeEventSchema, type OutcomeEvent } from "../contracts/outcome";
import { CliError } from "./output";

export async function readOutcomes(
  path: string,
  onLine?: (n: number) => void,
): Promise<OutcomeEvent[]> {
  const events: OutcomeEvent[] = [];
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
    const parsed = OutcomeEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else errors.push(...describeIssues(parsed.error).map((e) => `line ${n}: ${e}`));
    if (errors.length >= 20) break;
  }
  if (errors.length > 0)
    throw new CliError(`${path} has invalid outcome events:\n  ${errors.join("\n  ")}`, 2);
  return events;
}
