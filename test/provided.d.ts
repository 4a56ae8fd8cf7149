/** Values the vitest globalSetup provides to test projects. */
declare module "vitest" {
  interface ProvidedContext {
    originStable: string;
    originCanary: string;
  }
}
export {};
