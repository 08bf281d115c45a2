/**
 * @file TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual
 * and a LayerNorm, post-norm by default or pre-norm (`normFirst`). Child names are PyTorch's
 * (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2).
 */
import type { Tensor } from "@typegrad/autograd";
import { Module } from "../module.js";
import { MultiHeadAttention } from "./attention.js";
import { Dropout } from "./dropout.js";
import { Linear } from "./linear.js";
import { LayerNorm } from "./normalization.js";

/** Options of TransformerEncoderLayer (PyTorch's keywords, camelCase). */
export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  /** "relu", "gelu", or a function. */
  activation?: "relu" | "gelu" | ((x: Tensor) => Tensor);
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  dtype?: "float32" | "float64";
}

/** Options of TransformerEncoderLayer.forward. */
export interface EncoderCallOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  /** Without srcMask, apply the causal mask. */
  isCausal?: boolean;
}

/** One transformer encoder block. Matches `torch.nn.TransformerEncoderLayer`. */
export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const p = options.dropout ?? 0.1;
    const dtype = options.dtype ?? "float32";
    const ff = options.dimFeedforward ?? 2048;
    const eps = options.layerNormEps ?? 1e-5;
    this.self_attn = this.registerModule("self_attn", new MultiHeadAttention(dModel, nhead, { dropout: p, batchFirst: options.batchFirst ?? false, dtype }));
    this.linear1 = this.registerModule("linear1", new Linear(dModel, ff, { dtype }));
    this.dropout = this.registerModule("dropout", new Dropout(p));
    this.linear2 = this.registerModule("linear2", new Linear(ff, dModel, { dtype }));
    this.normFirst = options.normFirst ?? false;
    this.norm1 = this.registerModule("norm1", new LayerNorm(dModel, { eps, dtype }));
    this.norm2 = this.registerModule("norm2", new LayerNorm(dModel, { eps, dtype }));
    this.dropout1 = this.registerModule("dropout1", new Dropout(p));
    this.dropout2 = this.registerModule("dropout2", new Dropout(p));
    const act = options.activation ?? "relu";
    if (act === "relu") this.activation = (x) => x.relu();
    else if (act === "gelu") this.activation = (x) => x.gelu();
    else if (typeof act === "function") this.activation = act;
    else throw new RangeError(`TransformerEncoderLayer: activation must be "relu", "gelu" or a function, got ${JSON.stringify(act)}`);
  }

  forward(src: Tensor, options: EncoderCallOptions = {}): Tensor {
    let x = src;
    if (this.normFirst) {
      x = x.add(this.selfAttentionBlock(this.norm1.forward(x), options));
      return x.add(this.feedForwardBlock(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(this.selfAttentionBlock(x, options)));
    return this.norm2.forward(x.add(this.feedForwardBlock(x)));
  }

  private selfAttentionBlock(x: Tensor, options: EncoderCallOptions): Tensor {
    const [out] = this.self_attn.forward(x, x, x, {
      attnMask: options.srcMask ?? null,
      keyPaddingMask: options.srcKeyPaddingMask ?? null,
      isCausal: options.isCausal ?? false,
      needWeights: false,
    });
    return this.dropout1.forward(out);
  }

  private feedForwardBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }
}
