/**
 * @file The template for bringing your own op: define a differentiable op with `defineOp`
 * (forward on arrays, backward with Tensor ops), prove its gradients with `gradcheck` and
 * `gradgradcheck` on random shapes and layouts from the shipped fast-check arbitraries, and
 * show that a wrong backward is caught.
 */
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import * as tg from "typegrad";
import * as K from "@typegrad/tensor";
import { DISTINCT_LAYOUTS, GradcheckError, shapes, tensor } from "@typegrad/gradcheck";
import { runCli, type Options } from "./lib/cli.js";

/** softplus(x) = log(1 + e^x), computed stably as max(x, 0) + log1p(e^-|x|). */
export const softplus = tg.defineOp({
  name: "softplus",
  save: { inputs: true },
  forward: ([x]) => K.add(K.relu(x!), K.log1p(K.exp(K.neg(K.abs(x!))))),
  // d/dx softplus = sigmoid(x); written with tensor ops, so it differentiates again
  backward: (g, { inputs: [x] }) => [g.mul(x!.sigmoid())],
});

/** The same op with a deliberately wrong gradient (off by a factor 2): gradcheck must reject it. */
export const brokenSoftplus = tg.defineOp({
  name: "brokenSoftplus",
  save: { inputs: true },
  forward: softplus.spec.forward,
  backward: (g, { inputs: [x] }) => [g.mul(x!.sigmoid()).mul(2)],
});

/** The custom-op options. */
export const CUSTOM_OP_OPTIONS = {
  runs: { type: "number", default: 50, integer: true, min: 1, help: "random cases per property" },
  seed: { type: "number", default: 0, integer: true, help: "fast-check seed" },
} as const;

/** Checks softplus on random shapes and layouts; returns how many cases passed and the rejection message. */
export function checkCustomOp(o: Options<typeof CUSTOM_OP_OPTIONS>): { cases: number; rejection: string } {
  let cases = 0;
  const inputs = tensor({ shape: shapes({ maxDims: 3 }), layouts: DISTINCT_LAYOUTS });
  fc.assert(
    fc.property(inputs, (x) => {
      tg.gradcheck((t) => softplus.apply([t!]), [x]);
      tg.gradgradcheck((t) => softplus.apply([t!]), [x]);
      cases++;
    }),
    { numRuns: o.runs, seed: o.seed },
  );
  let rejection = "";
  try {
    tg.gradcheck((t) => brokenSoftplus.apply([t!]), [tg.randn([2, 3], { dtype: "float64", requiresGrad: true })]);
  } catch (e) {
    if (!(e instanceof GradcheckError)) throw e;
    rejection = e.message;
  }
  if (!rejection) throw new Error("gradcheck accepted a wrong gradient");
  return { cases, rejection };
}

async function main(): Promise<void> {
  await runCli("pnpm example custom-op", "Defines softplus with defineOp and proves its gradients.", CUSTOM_OP_OPTIONS, (o) => {
    const r = checkCustomOp(o);
    console.log(`softplus: gradcheck and gradgradcheck passed on ${r.cases} random shapes and layouts (float64)`);
    console.log(`a deliberately wrong backward is rejected:\n  ${r.rejection}`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
