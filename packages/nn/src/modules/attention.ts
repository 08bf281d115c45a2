/**
 * @file MultiHeadAttention: exactly torch.nn.MultiheadAttention (parameter names, init,
 * sequence-first by default, bool masks true = not allowed), plus `isCausal` without a mask
 * and zero (not NaN) weights for fully masked query rows. See functional/attention.ts.
 */
import type { Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { multiHeadAttentionForward } from "../functional/attention.js";
import { constant_, xavierNormal_, xavierUniform_ } from "../init.js";
import { Module, Parameter } from "../module.js";
import { Linear } from "./linear.js";

/** Options of MultiHeadAttention (PyTorch's constructor keywords, camelCase). */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights, in training only. */
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number;
  vdim?: number;
  /** Inputs and output are [N, L, E] instead of [L, N, E]. */
  batchFirst?: boolean;
  dtype?: "float32" | "float64";
}

/** Options of MultiHeadAttention.forward. */
export interface AttentionCallOptions {
  /** [N, S] (bool true = padding, or float added). */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool true = not allowed, float = added. */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  /** Without attnMask, apply the causal mask (query i attends keys 0..i). */
  isCausal?: boolean;
}

/** Multi-head attention. Matches `torch.nn.MultiheadAttention`. */
export class MultiHeadAttention extends Module {
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly inProjWeight: Parameter | null;
  readonly qProjWeight: Parameter | null;
  readonly kProjWeight: Parameter | null;
  readonly vProjWeight: Parameter | null;
  readonly inProjBias: Parameter | null;
  readonly biasK: Parameter | null;
  readonly biasV: Parameter | null;
  readonly outProj: Linear;
  readonly addZeroAttn: boolean;
  private readonly sameEmbedDim: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(embedDim) || embedDim < 1 || !Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new RangeError(`MultiHeadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    }
    const dtype = options.dtype ?? "float32";
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.sameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.headDim = embedDim / numHeads;
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    const param = (shape: number[]) => new Parameter(K.empty(shape, dtype));
    const E = embedDim;
    this.inProjWeight = this.registerParameter("in_proj_weight", this.sameEmbedDim ? param([3 * E, E]) : null);
    this.qProjWeight = this.registerParameter("q_proj_weight", this.sameEmbedDim ? null : param([E, E]));
    this.kProjWeight = this.registerParameter("k_proj_weight", this.sameEmbedDim ? null : param([E, this.kdim]));
    this.vProjWeight = this.registerParameter("v_proj_weight", this.sameEmbedDim ? null : param([E, this.vdim]));
    const bias = options.bias ?? true;
    this.inProjBias = this.registerParameter("in_proj_bias", bias ? param([3 * E]) : null);
    this.outProj = this.registerModule("out_proj", new Linear(E, E, { bias, dtype }));
    this.biasK = this.registerParameter("bias_k", options.addBiasKv ? param([1, 1, E]) : null);
    this.biasV = this.registerParameter("bias_v", options.addBiasKv ? param([1, 1, E]) : null);
    this.addZeroAttn = options.addZeroAttn ?? false;
    this.resetParameters();
  }

  /** PyTorch's init: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k/bias_v. */
  resetParameters(): void {
    if (this.inProjWeight) xavierUniform_(this.inProjWeight);
    else for (const w of [this.qProjWeight, this.kProjWeight, this.vProjWeight]) xavierUniform_(w!);
    if (this.inProjBias) {
      constant_(this.inProjBias, 0);
      constant_(this.outProj.bias!, 0);
    }
    if (this.biasK) xavierNormal_(this.biasK);
    if (this.biasV) xavierNormal_(this.biasV);
  }

  /** Attends `query` to `key`/`value`: returns [output, weights or null]. */
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    let [q, k, v] = [query, key, value];
    const flip = this.batchFirst && query.ndim === 3;
    if (flip) {
      // Keep identities (self-attention projects once) while moving the batch dim second.
      q = query.transpose(0, 1);
      k = key === query ? q : key.transpose(0, 1);
      v = value === key ? k : value === query ? q : value.transpose(0, 1);
    }
    const [out, weights] = multiHeadAttentionForward(
      q, k, v, this.embedDim, this.numHeads, this.inProjWeight, this.inProjBias, this.biasK, this.biasV,
      this.addZeroAttn, this.dropout, this.outProj.weight, this.outProj.bias,
      {
        training: this.training,
        keyPaddingMask: options.keyPaddingMask ?? null,
        needWeights: options.needWeights ?? true,
        attnMask: options.attnMask ?? null,
        averageAttnWeights: options.averageAttnWeights ?? true,
        isCausal: options.isCausal ?? false,
        useSeparateProjWeight: !this.sameEmbedDim,
        qProjWeight: this.qProjWeight,
        kProjWeight: this.kProjWeight,
        vProjWeight: this.vProjWeight,
      },
    );
    return [flip ? out.transpose(0, 1) : out, weights];
  }
}

/** The same class under PyTorch's spelling. */
export const MultiheadAttention = MultiHeadAttention;
