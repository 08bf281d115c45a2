/** @file Embedding: a lookup table initialized N(0, 1), the padding row zeroed. */
import { noGrad, type Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { embedding } from "../functional/embedding.js";
import { normal_ } from "../init.js";
import { Module, Parameter } from "../module.js";

/** Options of Embedding. */
export interface EmbeddingOptions {
  /** A row that stays fixed (zero at init, no gradient); negative counts from the end. */
  paddingIdx?: number | null;
  dtype?: "float32" | "float64";
}

/** Rows of a learned table at int32 indices. Matches `torch.nn.Embedding`. */
export class Embedding extends Module {
  readonly weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    const pad = options.paddingIdx ?? null;
    if (pad !== null && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx ${pad} must be within [-${numEmbeddings}, ${numEmbeddings})`);
    }
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + numEmbeddings : pad;
    this.weight = this.registerParameter("weight", new Parameter(K.empty([numEmbeddings, embeddingDim], options.dtype ?? "float32")));
    this.resetParameters();
  }

  /** N(0, 1), then the padding row set to zero. */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.select(0, this.paddingIdx!).zero_());
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx);
  }
}
