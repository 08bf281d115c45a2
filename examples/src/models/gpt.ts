/**
 * @file The tiny GPT of WORKLOADS.md (W3, and L1's architecture): token and learned position
 * embeddings, pre-LN blocks (LayerNorm, causal multi-head self-attention, residual; LayerNorm,
 * Linear d -> 4d, GELU, Linear 4d -> d, residual), a final LayerNorm and an untied head.
 */
import { arange, type Tensor } from "@typegrad/autograd";
import { Embedding, LayerNorm, Linear, Module, ModuleList, MultiHeadAttention } from "@typegrad/nn";

/** The model's sizes. */
export interface GptConfig {
  vocab: number;
  context: number;
  dModel: number;
  heads: number;
  layers: number;
  /** GELU form in the MLP (default exact). */
  gelu?: "none" | "tanh";
}

/** One pre-LN transformer block. */
export class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(private readonly config: GptConfig) {
    super();
    const d = config.dModel;
    this.ln1 = this.registerModule("ln1", new LayerNorm(d));
    this.attn = this.registerModule("attn", new MultiHeadAttention(d, config.heads, { batchFirst: true }));
    this.ln2 = this.registerModule("ln2", new LayerNorm(d));
    this.fc1 = this.registerModule("fc1", new Linear(d, 4 * d));
    this.fc2 = this.registerModule("fc2", new Linear(4 * d, d));
  }

  forward(x: Tensor): Tensor {
    const h = this.ln1.forward(x);
    const [attended] = this.attn.forward(h, h, h, { isCausal: true, needWeights: false });
    const y = x.add(attended);
    const mlp = this.fc2.forward(this.fc1.forward(this.ln2.forward(y)).gelu({ approximate: this.config.gelu ?? "none" }));
    return y.add(mlp);
  }
}

/** The whole model: token ids [B, T] -> logits [B, T, vocab]. */
export class TinyGPT extends Module {
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: Embedding;
  readonly blocks: ModuleList<Block>;
  readonly lnFinal: LayerNorm;
  readonly head: Linear;

  constructor(readonly config: GptConfig) {
    super();
    this.tokenEmbedding = this.registerModule("token_embedding", new Embedding(config.vocab, config.dModel));
    this.positionEmbedding = this.registerModule("position_embedding", new Embedding(config.context, config.dModel));
    this.blocks = this.registerModule("blocks", new ModuleList(Array.from({ length: config.layers }, () => new Block(config))));
    this.lnFinal = this.registerModule("ln_final", new LayerNorm(config.dModel));
    this.head = this.registerModule("head", new Linear(config.dModel, config.vocab));
  }

  forward(tokens: Tensor): Tensor {
    const T = tokens.shape[1]!;
    if (T > this.config.context) throw new RangeError(`TinyGPT: ${T} tokens exceed the context of ${this.config.context}`);
    let x = this.tokenEmbedding.forward(tokens).add(this.positionEmbedding.forward(arange(T)));
    for (const block of this.blocks) x = block.forward(x);
    return this.head.forward(this.lnFinal.forward(x));
  }
}
