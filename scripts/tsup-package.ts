/**
 * @file The tsup settings every package builds with: ESM + CJS + .d.ts for Node 20, one
 * shared chunk per package (so a subpath entry reuses the core instead of copying it).
 */
import { defineConfig, type Options } from "tsup";

/** The tsup config of a package with these entry points. */
export function packageConfig(entry: Options["entry"]): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: { compilerOptions: { ignoreDeprecations: "6.0" } }, // tsup 8.5.1 injects baseUrl, deprecated in TS 6
    sourcemap: true,
    splitting: true,
    clean: true,
    target: "node20",
  });
}
