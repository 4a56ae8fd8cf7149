#!/usr/bin/env node
// The CLI is TypeScript bundled by `npm run build:cli` (run on install by `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/cli.mjs", import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  console.error("llm-canary: the CLI is not built yet; run `npm run build:cli`");
  process.exit(2);
}
await import(bundle.href);
