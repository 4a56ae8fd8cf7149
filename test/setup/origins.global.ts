/**
 * Starts the simulated stable and canary origins (real HTTP servers on
 * 127.0.0.1) for the workerd integration tests and provides their URLs.
 */
import type { TestProject } from "vitest/node";
import { startOrigin } from "../../sim/origin.mjs";

export default async function setup(project: TestProject) {
  const stable = await startOrigin({ port: 0, name: "stable" });
  const canary = await startOrigin({ port: 0, name: "canary" });
  project.provide("originStable", stable.url);
  project.provide("originCanary", canary.url);
  return async () => {
    await stable.close();
    await canary.close();
  };
}
