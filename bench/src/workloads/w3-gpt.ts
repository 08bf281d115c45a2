/**
 * @file W3: one training step (forward, cross-entropy over all positions, backward, AdamW) of
 * the tiny GPT: vocab 65, T=64, d=128, H=4, 2 blocks, batch 16, AdamW lr 3e-4 wd 0.01.
 * Weights normal(0, 0.02), LayerNorm gains 1, biases 0 where PyTorch's init gives 0.
 */
import { manualSeed, noGrad, randint } from "@typegrad/autograd";
import { functional as F, init } from "@typegrad/nn";
import { AdamW } from "@typegrad/optim";
import { TinyGPT } from "@typegrad/examples/models/gpt";
import { peakRssMiB, time, type Timing, type TimingOptions } from "../timing.js";

/** The W3 sizes. */
export const W3 = { vocab: 65, context: 64, dModel: 128, heads: 4, layers: 2, batch: 16 };

/** One W3 result line. */
export interface W3Result extends Timing {
  workload: "W3";
  system: string;
  config: typeof W3;
  tokensPerSecond: number;
  threads: number;
  peakRssMiB: number;
}

/** Initializes like WORKLOADS.md: N(0, 0.02), LayerNorm 1/0, MHA and LayerNorm biases 0. */
export function benchInit(model: TinyGPT): void {
  noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      const inNorm = name.includes("ln");
      if (inNorm) init.constant_(p, name.endsWith("weight") ? 1 : 0);
      else if (name.endsWith("in_proj_bias") || name.endsWith("out_proj.bias")) init.zeros_(p);
      else init.normal_(p, 0, 0.02);
    }
  });
}

/** A W3 setup: model, optimizer and one fixed batch. */
export function w3Setup() {
  manualSeed(0);
  const model = new TinyGPT({ vocab: W3.vocab, context: W3.context, dModel: W3.dModel, heads: W3.heads, layers: W3.layers });
  benchInit(model);
  const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.01 });
  const tokens = randint(0, W3.vocab, [W3.batch, W3.context]);
  const targets = randint(0, W3.vocab, [W3.batch, W3.context]);
  const step = () => {
    opt.zeroGrad();
    const logits = model.forward(tokens);
    const loss = F.crossEntropy(logits.reshape([-1, W3.vocab]), targets.reshape([-1]));
    loss.backward();
    opt.step();
    return loss.item();
  };
  return { model, opt, step };
}

/** Runs W3. */
export function runW3(options: TimingOptions = {}): W3Result {
  const { step } = w3Setup();
  const t = time(step, options);
  return {
    workload: "W3",
    system: "typegrad (js)",
    config: W3,
    ...t,
    tokensPerSecond: (W3.batch * W3.context) / (t.medianMs / 1000),
    threads: 1,
    peakRssMiB: peakRssMiB(),
  };
}
