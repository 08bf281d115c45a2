import { defineConfig } from "vitest/config";

export default defineConfig({
  // resolve @typegrad/* to src/ through the "source" export condition: tests need no build
  ssr: { resolve: { conditions: ["source", "module", "node", "development|production"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/src/**/*.test.ts"],
    reporters: ["default", "./scripts/vitest-summary-reporter.ts"],
  },
});
