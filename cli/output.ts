/**
 * Terminal output for the CLI: colours (off with --no-color, NO_COLOR or a
 * non-TTY), aligned tables, a progress bar on stderr, and errors that say
 * what to do. Machine output (--json) never mixes with these.
 */

export class CliError extends Error {
  constructor(
    message: string,
    /** 1: the operation failed; 2: bad usage or input; 3: cannot reach the edge. */
    readonly exitCode: 1 | 2 | 3 = 1,
  ) {
    super(message);
  }
}

let colour = process.stdout.isTTY === true && !process.env.NO_COLOR;

export function setColour(on: boolean): void {
  colour = on;
}

const wrap = (code: number) => (s: string) => (colour ? `\u001b[${code}m${s}\u001b[0m` : s);
export const red = wrap(31);
export const green = wrap(32);
export const yellow = wrap(33);
export const dim = wrap(2);
export const bold = wrap(1);

/** Columns padded to their widest cell (colour codes ignored when measuring). */
export function table(rows: string[][]): string {
  // eslint-disable-next-line no-control-regex -- strips our own colour codes
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - visible(cell)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A progress bar on stderr; silent when stderr is not a terminal. */
export function progress(label: string, total: number | null) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    update(done: number) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      const width = 30;
      const line =
        total && total > 0
          ? `${label} [${"#".repeat(Math.round((done / total) * width)).padEnd(width, ".")}] ${done}/${total}`
          : `${label} ${done}`;
      process.stderr.write(`\r${line}`);
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
}
