import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./contracts/db/schema.ts",
  out: "./migrations",
});
