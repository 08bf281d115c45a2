import { defineConfig } from "vitest/config";

// Node 20 ships relaxed SIMD behind a flag (on by default from Node 22, where the flag may be gone).
const relaxedSimdFlag = Number(process.versions.node.split(".")[0]) < 22 ? ["--experimental-wasm-relaxed-simd"] : [];

export default defineConfig({
  // resolve @typegrad/* to src/ through the "source" export condition: tests need no build
  ssr: { resolve: { conditions: ["source", "module", "node", "development|production"] } },
  test: {
    reporters: ["default", "./scripts/vitest-summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "default",
          include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/src/**/*.test.ts"],
        },
      },
      {
        // The matmul kernel tests once more in a Node whose engine has relaxed SIMD, so the fused
        // multiply-add kernel variant is the one under test.
        extends: true,
        test: {
          name: "relaxed-simd",
          include: ["packages/tensor/src/kernels/{gemm,matmul}.test.ts"],
          execArgv: relaxedSimdFlag,
        },
      },
    ],
  },
});
