/** Values the resilience globalSetup provides (see setup/decoy.global.ts). */
declare module "vitest" {
  interface ProvidedContext {
    decoyOrigin: string;
  }
}
export {};
