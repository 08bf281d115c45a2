/**
 * @file Attention. Two mask conventions live here, as in PyTorch:
 *  - scaledDotProductAttention (PyTorch 2's SDPA): a bool mask marks what may be attended
 *    (true = attend); a float mask is added; `isCausal` builds a top-left causal mask.
 *  - multiHeadAttentionForward (nn.MultiheadAttention): a bool mask marks what is NOT allowed
 *    (true = masked out); a float mask is added; keyPaddingMask true = padding.
 * Masks are turned into one additive float bias. Unlike PyTorch, a query row whose keys are
 * all masked gets all-zero weights (and a zero attended value) instead of NaN.
 */
import { cat, markPrivate, noGrad, ones, primitiveOps, releasePrivate, zeros, type Tensor } from "@typegrad/autograd";
import { dropout } from "./dropout.js";
import { linear } from "./linear.js";

/**
 * Softmax over the last dim of `scores + bias`, where rows that the bias masks entirely (all
 * -inf) give zeros, not NaN. Dead rows are found on the (usually smaller) bias, not the scores.
 * The biased scores are private (`markPrivate`): they go back to the storage cache as soon as
 * nothing saves them, at once where they feed only softmax.
 */
export function maskedSoftmax(scores: Tensor, bias: Tensor | null = null): Tensor {
  if (!bias) return scores.softmax(-1);
  const biased = scores.add(bias);
  markPrivate(biased);
  let weights: Tensor;
  if (causalBiases.has(bias)) weights = biased.softmax(-1); // a causal row always sees key 0
  else {
    const dead = noGrad(() => bias.amax(-1, true).eq(-Infinity));
    weights = dead.sum().item() === 0 ? biased.softmax(-1) : biased.maskedFill(dead, 0).softmax(-1).maskedFill(dead, 0);
  }
  releasePrivate(biased);
  return weights;
}

const causalCache = new Map<string, Tensor>();
const causalBiases = new WeakSet<Tensor>();

/**
 * The additive causal bias of shape [L, S]: -inf where key j > query i + offset (offset 0 is
 * top-left aligned). Cached, since a training loop asks for the same one every step.
 */
export function causalBias(L: number, S: number, dtype: Tensor["dtype"]): Tensor {
  const key = `${L},${S},${dtype}`;
  let bias = causalCache.get(key);
  if (!bias) {
    bias = zeros([L, S], { dtype }).maskedFill(ones([L, S], { dtype: "bool" }).triu(1), -Infinity);
    if (causalCache.size >= 32) causalCache.delete(causalCache.keys().next().value!);
    causalCache.set(key, bias);
    causalBiases.add(bias);
  }
  return bias;
}

const causal3d = new WeakMap<Tensor, Tensor>();

/** The causal bias as [1, L, S] (cached with it). */
function causalBias3d(L: number, S: number, dtype: Tensor["dtype"]): Tensor {
  const bias = causalBias(L, S, dtype);
  let view = causal3d.get(bias);
  if (!view) {
    view = bias.unsqueeze(0);
    causal3d.set(bias, view);
    causalBiases.add(view);
  }
  return view;
}

/** An additive float mask: bool masks become -inf where `blockedWhen` and 0 elsewhere. */
function asBias(mask: Tensor, blockedWhen: boolean, dtype: Tensor["dtype"], op: string): Tensor {
  if (mask.dtype === "bool") return zeros(mask.shape, { dtype }).maskedFill(blockedWhen ? mask : mask.logicalNot(), -Infinity);
  if (mask.dtype === "float32" || mask.dtype === "float64") return mask;
  throw new TypeError(`${op}: masks must be bool or float, got ${mask.dtype}`);
}

/** Options of scaledDotProductAttention. */
export interface SdpaOptions {
  /** Bool (true = attend) or float (added) mask broadcastable to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (applied whenever > 0, as PyTorch's SDPA). */
  dropoutP?: number;
  /** Use a top-left-aligned causal mask (query i sees keys 0..i); not with attnMask. */
  isCausal?: boolean;
  /** Score scale (default 1/sqrt(E)). */
  scale?: number;
}

/**
 * softmax(q k^T * scale + mask) v over the last two dims. Matches PyTorch 2's
 * `F.scaled_dot_product_attention` (bool mask: true = attend).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: SdpaOptions = {}): Tensor {
  const op = "scaledDotProductAttention";
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new RangeError(`${op}: query, key and value need at least 2 dims`);
  const [L, E] = q.shape.slice(-2) as [number, number];
  const S = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: key's last dim ${k.shape[k.ndim - 1]} must equal the query's ${E}`);
  if (v.shape[v.ndim - 2] !== S) throw new RangeError(`${op}: value has ${v.shape[v.ndim - 2]} positions, key has ${S}`);
  if (options.isCausal && options.attnMask) throw new RangeError(`${op}: pass either attnMask or isCausal, not both`);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  const scores = q.matmul(k.transpose(-2, -1)).mul(scale);
  markPrivate(scores);
  const bias = options.isCausal ? causalBias(L, S, q.dtype) : options.attnMask ? asBias(options.attnMask, false, q.dtype, op) : null;
  const weights = dropout(maskedSoftmax(scores, bias), options.dropoutP ?? 0, true);
  releasePrivate(scores);
  return weights.matmul(v);
}

/** Options of multiHeadAttentionForward (PyTorch's keyword arguments, camelCase). */
export interface MhaForwardOptions {
  training?: boolean;
  /** [N, S] (or [S] unbatched): true (or -inf) marks padding keys. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool true = not allowed, float = added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true). */
  averageAttnWeights?: boolean;
  /** Without attnMask, build the causal mask (query i sees keys 0..i): a typegrad convenience. */
  isCausal?: boolean;
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
}

/**
 * The multi-head attention of nn.MultiheadAttention on sequence-first inputs [L, N, E]
 * (or unbatched [L, E]). Returns [output, weights | null]. Matches
 * `F.multi_head_attention_forward` (PyTorch 1.13's computation, step by step).
 */
export function multiHeadAttentionForward(
  query: Tensor, key: Tensor, value: Tensor, embedDimToCheck: number, numHeads: number,
  inProjWeight: Tensor | null, inProjBias: Tensor | null, biasK: Tensor | null, biasV: Tensor | null,
  addZeroAttn: boolean, dropoutP: number, outProjWeight: Tensor, outProjBias: Tensor | null,
  options: MhaForwardOptions = {},
): [Tensor, Tensor | null] {
  const op = "multiHeadAttentionForward";
  const batchedInput = checkShapes(op, query, key, value, options);
  let q0 = query, k0 = key, v0 = value;
  let kpm = options.keyPaddingMask ?? null;
  if (!batchedInput) {
    [q0, k0, v0] = [query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)];
    if (kpm) kpm = kpm.unsqueeze(0);
  }
  const [L, N, E] = q0.shape as [number, number, number];
  if (E !== embedDimToCheck) throw new RangeError(`${op}: expected embedding dim ${embedDimToCheck}, got ${E}`);
  const headDim = Math.floor(E / numHeads);
  if (headDim * numHeads !== E) throw new RangeError(`${op}: embed dim ${E} is not divisible by numHeads ${numHeads}`);

  // Everything made from here to the output projection stays inside this function (except the
  // weights when returned as they are): its buffers go back to the storage cache once backward
  // has freed the nodes that saved them, the scores at once (see `markPrivate`).
  const made: Tensor[] = [];
  const own = (t: Tensor): Tensor => {
    markPrivate(t);
    made.push(t);
    return t;
  };
  let [q, k, v] = projectInputs(op, q0, k0, v0, inProjWeight, inProjBias, options).map(own) as [Tensor, Tensor, Tensor];
  let mask = prepareAttnMask(op, options, L, k0.shape[0]!, N * numHeads, q.dtype);

  if (biasK && biasV) {
    k = cat([k, biasK.expand([1, N, E])]);
    v = cat([v, biasV.expand([1, N, E])]);
    mask = mask ? padLast(mask) : null;
    kpm = kpm ? padLast(kpm) : null;
  } else if (biasK || biasV) throw new RangeError(`${op}: biasK and biasV must be given together`);

  // Split heads without copying: [S, N, E] -> [S, N, H, Dh] -> [N, H, S, Dh], PyTorch's split
  // (E = H * Dh per position); the products read these strided views in place.
  const heads = (t: Tensor) => t.reshape([t.shape[0]!, N, numHeads, headDim]).permute([1, 2, 0, 3]);
  let [qh, kh, vh] = [heads(q), heads(k), heads(v)];
  if (addZeroAttn) {
    kh = cat([kh, zeros([N, numHeads, 1, headDim], { dtype: kh.dtype })], 2);
    vh = cat([vh, zeros([N, numHeads, 1, headDim], { dtype: vh.dtype })], 2);
    mask = mask ? padLast(mask) : null;
    kpm = kpm ? padLast(kpm) : null;
  }
  const S = kh.shape[2]!;
  // The attention mask as [1 or N, 1 or H, L, S], plus the padding mask as [N, 1, 1, S].
  // The causal bias (isCausal) masks no row entirely, unless a padding mask joins it.
  let bias = mask ? mask.reshape(mask.shape[0] === 1 ? [1, 1, L, S] : [N, numHeads, L, S]) : null;
  if (bias && causalBiases.has(mask!) && !kpm) causalBiases.add(bias);
  if (kpm) {
    if (kpm.shape.length !== 2 || kpm.shape[0] !== N || kpm.shape[1] !== S) {
      throw new RangeError(`${op}: keyPaddingMask must have shape [${N},${S}], got [${kpm.shape.join(",")}]`);
    }
    const padBias = asBias(kpm, true, q.dtype, op).reshape([N, 1, 1, S]);
    bias = bias ? bias.add(padBias) : padBias;
  }

  const p = options.training ?? true ? dropoutP : 0;
  const scores = own(own(qh.div(Math.sqrt(headDim))).matmul(kh.transpose(-2, -1)));
  let weights = own(maskedSoftmax(scores, bias));
  releasePrivate(scores); // it fed only add and softmax, which save no input
  if (p > 0) weights = own(dropout(weights, p, true));
  // Merge heads batch-major ([N, L, E] rows), which leaves a batch-first caller's result
  // contiguous once the module transposes it back. The product is written in that order
  // ([N, H, L, Dh] with [N, L, H, Dh] memory), so the merge is a view, not a copy.
  const merged = [L * numHeads * headDim, headDim, numHeads * headDim, 1];
  const attended = own(primitiveOps.matmul.apply([weights, vh], { layoutLike: merged }));
  const out = linear(attended.permute([0, 2, 1, 3]).reshape([N * L, E]), outProjWeight, outProjBias).view([N, L, E]).transpose(0, 1);

  let returned: Tensor | null = null;
  if (options.needWeights ?? true) {
    returned = weights;
    if (options.averageAttnWeights ?? true) returned = returned.sum(1).div(numHeads);
    if (!batchedInput) returned = returned.squeeze(0);
  }
  for (const t of made) if (returned === null || !t.array.sharesStorage(returned.array)) releasePrivate(t);
  return [batchedInput ? out : out.squeeze(1), returned];
}

function checkShapes(op: string, q: Tensor, k: Tensor, v: Tensor, options: MhaForwardOptions): boolean {
  const batched = q.ndim === 3;
  if (!batched && q.ndim !== 2) throw new RangeError(`${op}: query must be 3-d (batched) or 2-d (unbatched), got shape [${q.shape.join(",")}]`);
  if (k.ndim !== q.ndim || v.ndim !== q.ndim) throw new RangeError(`${op}: key and value must have ${q.ndim} dims like the query`);
  const kpm = options.keyPaddingMask;
  if (kpm && kpm.ndim !== (batched ? 2 : 1)) throw new RangeError(`${op}: keyPaddingMask must be ${batched ? 2 : 1}-d, got ${kpm.ndim}-d`);
  const sameLead = k.shape[0] === v.shape[0] && (!batched || k.shape[1] === v.shape[1]);
  if (!sameLead) throw new RangeError(`${op}: key [${k.shape.join(",")}] and value [${v.shape.join(",")}] must have the same sequence and batch dims`);
  if (!options.useSeparateProjWeight && k.shape[k.ndim - 1] !== v.shape[v.ndim - 1]) {
    throw new RangeError(`${op}: key and value must have the same embedding dim without separate projection weights`);
  }
  return batched;
}

function projectInputs(
  op: string, q: Tensor, k: Tensor, v: Tensor, w: Tensor | null, b: Tensor | null, options: MhaForwardOptions,
): [Tensor, Tensor, Tensor] {
  const [bq, bk, bv] = b ? b.chunk(3) : [null, null, null];
  if (options.useSeparateProjWeight) {
    const { qProjWeight: wq, kProjWeight: wk, vProjWeight: wv } = options;
    if (!wq || !wk || !wv) throw new RangeError(`${op}: useSeparateProjWeight needs qProjWeight, kProjWeight and vProjWeight`);
    return [linear(q, wq, bq), linear(k, wk, bk), linear(v, wv, bv)];
  }
  if (!w) throw new RangeError(`${op}: inProjWeight is required without separate projection weights`);
  // Self-attention can project once and chunk the result, as PyTorch does; backward then
  // scatters each third of the gradient into a zeroed [S, N, 3E] tensor and sums three of
  // them. Projecting with each third of the weight instead scatters into zeroed [3E, E] weight
  // gradients. Whichever zeroed tensor is smaller wins: the packed product for fewer tokens
  // than E (the tiny W0 attention: 30% faster), separate products otherwise (W2: about 8%
  // faster in 5 alternating runs; W3 unchanged within noise).
  const embed = w.shape[1]!;
  if (q === k && k === v && q.numel() / embed <= embed) return tokenLinear(q, w, b).chunk(3, -1) as [Tensor, Tensor, Tensor];
  const [wq, wk, wv] = w.chunk(3) as [Tensor, Tensor, Tensor];
  return [tokenLinear(q, wq, bq), tokenLinear(k, wk, bk), tokenLinear(v, wv, bv)];
}

/**
 * linear(x, w, b) for [S, N, E] tokens; when x is a batch-first tensor seen sequence-first (the
 * module's batchFirst transpose), the product runs on the batch-first storage and the result is
 * transposed back: the same numbers, without copying x (a product folds its batch by reshape).
 */
function tokenLinear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const flipped = x.ndim === 3 ? x.transpose(0, 1) : null;
  return flipped && !x.array.isContiguous() && flipped.array.isContiguous() ? linear(flipped, w, b).transpose(0, 1) : linear(x, w, b);
}

/** The attention mask as an additive bias of shape [1 or N * numHeads, L, S]. */
function prepareAttnMask(op: string, options: MhaForwardOptions, L: number, S: number, batchHeads: number, dtype: Tensor["dtype"]): Tensor | null {
  const mask = options.attnMask ?? null;
  if (!mask) return options.isCausal ? causalBias3d(L, S, dtype) : null;
  const bias = asBias(mask, true, dtype, op);
  if (bias.ndim === 2) {
    if (bias.shape[0] !== L || bias.shape[1] !== S) throw new RangeError(`${op}: the 2-d attnMask has shape [${bias.shape.join(",")}], expected [${L},${S}]`);
    return bias.unsqueeze(0);
  }
  if (bias.ndim === 3) {
    if (bias.shape[0] !== batchHeads || bias.shape[1] !== L || bias.shape[2] !== S) {
      throw new RangeError(`${op}: the 3-d attnMask has shape [${bias.shape.join(",")}], expected [${batchHeads},${L},${S}]`);
    }
    return bias;
  }
  throw new RangeError(`${op}: attnMask must be 2-d or 3-d, got ${bias.ndim}-d`);
}

/** Appends one zero (no bias, not masked) along the last dim. */
function padLast(mask: Tensor): Tensor {
  const pad = zeros([...mask.shape.slice(0, -1), 1], { dtype: mask.dtype });
  return cat([mask, pad], -1);
}
