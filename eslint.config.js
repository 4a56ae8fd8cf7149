import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules",
      ".wrangler",
      ".state",
      "bench/peers",
      "bench/results",
      "worker/env.d.ts",
      "migrations",
      "test-results",
      "dist",
      "demo-results",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mts"],
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.node.json", "./tsconfig.client.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      // `import { z }` pulls zod's every locale into the Worker bundle (about 245 KiB);
      // the namespace import lets the bundler keep only what is used.
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: 'Use `import * as z from "zod"`: the named import bundles every locale.',
        },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // The edge and the CLI reach the analyzer only through its front doors:
    // analyzer/index.ts (the pure core) and analyzer/worker.ts (the Worker's
    // entry points into D1). Shared code lives in contracts/ and store/.
    files: ["worker/**/*.ts", "cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)analyzer/(?!(index|worker)$).+",
              message:
                "Import the analyzer through analyzer/index.ts (or analyzer/worker.ts); shared code belongs in contracts/ or store/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        fetch: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        performance: "readonly",
        Response: "readonly",
        Request: "readonly",
        Headers: "readonly",
      },
    },
  },
);
