// @ts-check
/**
 * Whether a module is the script node was started with (true) or was
 * imported (false), for files that are both a library and a command.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * @example
 * if (isEntryPoint(import.meta.url)) main();
 * @param {string} moduleUrl the caller's `import.meta.url`
 */
export function isEntryPoint(moduleUrl) {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
