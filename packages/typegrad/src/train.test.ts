/**
 * @file End to end: a 2-layer transformer encoder built from nn modules learns to reverse
 * sequences of tokens (which needs attention: each output position must read another
 * position), with AdamW, a scheduler, clipping and cross-entropy. Loss must fall clearly.
 */
import { describe, expect, it } from "vitest";
import * as tg from "./index.js";

const VOCAB = 6, LENGTH = 6, D = 32;

class Reverser extends tg.nn.Module {
  readonly embed: tg.nn.Embedding;
  readonly positions: tg.nn.Embedding;
  readonly layers: tg.nn.ModuleList<tg.nn.TransformerEncoderLayer>;
  readonly head: tg.nn.Linear;
  constructor() {
    super();
    this.embed = this.registerModule("embed", new tg.nn.Embedding(VOCAB, D));
    this.positions = this.registerModule("positions", new tg.nn.Embedding(LENGTH, D));
    const layer = () => new tg.nn.TransformerEncoderLayer(D, 2, { dimFeedforward: 64, dropout: 0, batchFirst: true, normFirst: true });
    this.layers = this.registerModule("layers", new tg.nn.ModuleList([layer(), layer()]));
    this.head = this.registerModule("head", new tg.nn.Linear(D, VOCAB));
  }
  forward(tokens: tg.Tensor): tg.Tensor {
    let x = this.embed.forward(tokens).add(this.positions.forward(tg.arange(LENGTH)));
    for (const layer of this.layers) x = layer.forward(x);
    return this.head.forward(x);
  }
}

describe("a 2-layer transformer", () => {
  it("learns to reverse sequences (loss falls well below its start)", { timeout: 30_000 }, () => {
    tg.manualSeed(0);
    const model = new Reverser();
    const opt = new tg.optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
    const sched = new tg.optim.lrScheduler.LinearLR(opt, { startFactor: 0.3, totalIters: 20 });
    const losses: number[] = [];
    for (let step = 0; step < 150; step++) {
      const tokens = tg.randint(0, VOCAB, [32, LENGTH]);
      // Target at (row, position i) is the token at (row, LENGTH - 1 - i).
      const want = tg.tensor(Int32Array.from({ length: 32 * LENGTH }, (_, k) => tokens.array.get(Math.floor(k / LENGTH), LENGTH - 1 - (k % LENGTH))));
      opt.zeroGrad();
      const logits = model.forward(tokens);
      const loss = tg.nn.functional.crossEntropy(logits.reshape([-1, VOCAB]), want);
      loss.backward();
      tg.nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      sched.step();
      losses.push(loss.item());
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(0.35 * first);
  });
});
