/**
 * @file W0 and W2: multi-head self-attention forward + backward with a causal mask, dropout 0,
 * in/out projections with bias; loss = sum(out * G) for a fixed random G, so every gradient
 * (input and parameters) is non-trivial. Weights normal(0, 0.02), biases 0 (PyTorch's MHA
 * init gives 0), input normal(0, 1), all seeded.
 */
import { manualSeed, noGrad, randn, type Tensor } from "@typegrad/autograd";
import { MultiHeadAttention, init } from "@typegrad/nn";
import { attentionSize, type AttentionSize } from "../systems/init.js";
import { peakRssMiB, time, type Timing, type TimingOptions } from "../timing.js";


/** One attention result line. */
export interface AttentionResult extends Timing {
  workload: "W0" | "W2";
  system: string;
  size: AttentionSize;
  threads: number;
  peakRssMiB: number;
}


/** A fresh seeded MHA, its input and the fixed output gradient. */
function setup(size: AttentionSize): { mha: MultiHeadAttention; x: Tensor; g: Tensor } {
  manualSeed(0);
  const mha = new MultiHeadAttention(size.embed, size.heads, { batchFirst: true });
  noGrad(() => {
    for (const [name, p] of mha.namedParameters()) {
      if (name.endsWith("bias")) init.zeros_(p);
      else init.normal_(p, 0, 0.02);
    }
  });
  const x = randn([size.batch, size.tokens, size.embed], { requiresGrad: true });
  const g = randn([size.batch, size.tokens, size.embed]);
  return { mha, x, g };
}

/** One forward + backward step. */
function step(mha: MultiHeadAttention, x: Tensor, g: Tensor): void {
  mha.zeroGrad();
  x.grad = null;
  const [out] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
  out.mul(g).sum().backward();
}

/** Runs W0 (`"W0"`) or W2 (`"W2"`). */
export function runAttention(workload: "W0" | "W2", options: TimingOptions = {}): AttentionResult {
  const size = attentionSize(workload);
  const { mha, x, g } = setup(size);
  const t = time(() => step(mha, x, g), { warmup: workload === "W0" ? 50 : 3, iterations: workload === "W0" ? 200 : 10, ...options });
  return { workload, system: "typegrad (js)", size, threads: 1, ...t, peakRssMiB: peakRssMiB() };
}
