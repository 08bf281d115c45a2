/**
 * @file The README's "PyTorch to typegrad" loop, line for line (`pytorch-to-typegrad.py` beside it
 * is the PyTorch original): self-attention learns to give every position the mean token.
 */
import * as tg from "typegrad";

tg.manualSeed(0);
const mha = new tg.nn.MultiHeadAttention(32, 4, { batchFirst: true });
const opt = new tg.optim.AdamW(mha.parameters(), { lr: 1e-2, weightDecay: 0.01 });
for (let step = 0; step <= 200; step++) {
  const x = tg.randn([16, 8, 32]);
  const target = x.mean(1, true).expand([-1, 8, -1]); // every position: the mean token
  const [out] = mha.forward(x, x, x, { needWeights: false });
  const loss = tg.nn.functional.mseLoss(out, target);
  opt.zeroGrad();
  loss.backward();
  tg.nn.utils.clipGradNorm_(mha.parameters(), 1.0);
  opt.step();
  if (step % 50 === 0) console.log(`step ${step}  loss ${loss.item().toExponential(2)}`);
}
