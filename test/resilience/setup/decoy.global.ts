/**
 * A decoy listener for the SSRF promises: a simulated origin on its own port
 * that no routing config ever names. Whatever a client puts in its request,
 * the edge must never connect here; the tests read its counters.
 */
import type { TestProject } from "vitest/node";
import { startOrigin } from "../../../sim/origin.mjs";

export default async function setup(project: TestProject) {
  const decoy = await startOrigin({ port: 0, name: "decoy" });
  project.provide("decoyOrigin", decoy.url);
  return () => decoy.close();
}
