/**
 * @file Prints the plain closing line CI reads: `N passed, N failed, N skipped`.
 * A test file that fails to load counts as one failure, and so does each unhandled error.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let modFailed = 0;
      for (const t of mod.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") modFailed++;
        else skipped++;
      }
      if (modFailed === 0 && mod.errors().length > 0) modFailed = 1;
      failed += modFailed;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
