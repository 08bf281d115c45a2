import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
  format: ["esm", "cjs"],
  dts: { compilerOptions: { ignoreDeprecations: "6.0" } }, // tsup 8.5.1 injects baseUrl, deprecated in TS 6
  sourcemap: true,
  splitting: true, // the testing entry shares the core chunk in CJS too (one NDArray class, one RNG state)
  clean: true,
  target: "node20",
});
