/**
 * @file Op infos of matmul (1-d operands and broadcast batch dims), linear (x w^T + b), the index ops (gather,
 * scatterAdd, indexSelect; int32 indices drawn within bounds, repeats included so that
 * gradients accumulate) and the triangle masks tril/triu with diagonals in [-3, 3].
 */
import fc from "fast-check";
import { primitiveOps, type Tensor } from "@typegrad/autograd";
import { broadcastIndex } from "@typegrad/tensor/testing";
import { DOMAINS, tensor } from "../arbitraries.js";
import {
  broadcastShape,
  broadcastShapes,
  buildRef,
  dimArb,
  domainText,
  indexTensor,
  makeSample,
  normDim,
  read,
  shapes,
  valuesOf,
  type OpInfo,
  type Ref,
} from "./common.js";

const ANY = domainText(DOMAINS.any);
const size13 = fc.integer({ min: 1, max: 3 });

/**
 * a @ b by PyTorch's rules: a 1-d a is a row, a 1-d b a column (their dims dropped after),
 * batch dims broadcast (also against `expandTo`, the batch an operand was expanded to).
 */
function matmulRef(a: Tensor, b: Tensor, expandTo: readonly number[] = []): Ref {
  const aBatch = a.ndim === 1 ? [] : a.shape.slice(0, -2);
  const bBatch = b.ndim === 1 ? [] : b.shape.slice(0, -2);
  const batch = broadcastShape([aBatch, bBatch, expandTo]);
  const inner = a.shape[a.ndim - 1]!;
  const n = a.ndim === 1 ? 1 : a.shape[a.ndim - 2]!;
  const m = b.ndim === 1 ? 1 : b.shape[b.ndim - 1]!;
  const full = buildRef([...batch, n, m], (index) => {
    const bi = index.slice(0, batch.length);
    const [i, j] = [index[batch.length]!, index[batch.length + 1]!];
    let acc = 0;
    for (let k = 0; k < inner; k++) {
      const x = a.ndim === 1 ? read(a, [k]) : read(a, [...broadcastIndex(bi, aBatch), i, k]);
      const y = b.ndim === 1 ? read(b, [k]) : read(b, [...broadcastIndex(bi, bBatch), k, j]);
      acc += x * y;
    }
    return acc;
  });
  const shape = [...batch, ...(a.ndim === 1 ? [] : [n]), ...(b.ndim === 1 ? [] : [m])];
  return { shape, values: full.values };
}

/** matmul: 1-d or matrix operands (sizes 1..3), batch dims (up to 2) broadcast against each other. */
const plainMatmul = fc
  .tuple(size13, size13, size13, broadcastShapes(2, { maxDims: 2 }), fc.boolean(), fc.boolean())
  .chain(([n, k, m, [ba, bb], aVec, bVec]) =>
    fc.tuple(tensor({ shape: aVec ? [k] : [...ba!, n, k] }), tensor({ shape: bVec ? [k] : [...bb!, k, m] })),
  )
  .map(([a, b]) => makeSample({ op: "matmul", inputs: [a, b], call: (x, y) => x.matmul(y), reference: (x, y) => matmulRef(x, y) }));

/**
 * matmul of operands with all-1 batch dims where one is expanded inside the call to a batch
 * of sizes 1..3 (stride 0 along it): the layout of `x.matmul(w.expand(...))`, which gradcheck
 * inputs themselves can never have.
 */
const expandedMatmul = fc
  .tuple(size13, size13, size13, shapes({ minDims: 1, maxDims: 2 }), fc.constantFrom("a", "b"))
  .chain(([n, k, m, batch, which]) => {
    const ones = batch.map(() => 1);
    return fc.tuple(tensor({ shape: [...ones, n, k] }), tensor({ shape: [...ones, k, m] }), fc.constant(batch), fc.constant(which));
  })
  .map(([a, b, batch, which]) =>
    makeSample({
      op: "matmul",
      inputs: [a, b],
      args: { expand: which, batch },
      call: (x, y) => (which === "a" ? x.expand([...batch, ...x.shape.slice(-2)]).matmul(y) : x.matmul(y.expand([...batch, ...y.shape.slice(-2)]))),
      reference: (x, y) => matmulRef(x, y, batch),
    }),
  );

const matmul = fc.oneof({ arbitrary: plainMatmul, weight: 3 }, expandedMatmul);

/** linear(x, w, b): x of 0-2 batch dims (or 1-d), w [out, in], b [out] or none; sizes 1..3. */
const linear = fc
  .tuple(size13, size13, shapes({ maxDims: 2 }), fc.boolean())
  .chain(([inF, outF, batch, withBias]) =>
    fc.tuple(tensor({ shape: [...batch, inF] }), tensor({ shape: [outF, inF] }), withBias ? tensor({ shape: [outF] }) : fc.constant(null)),
  )
  .map(([x, w, b]) =>
    makeSample({
      op: "linear",
      inputs: b ? [x, w, b] : [x, w],
      args: { bias: b !== null },
      call: (xs, ws, bs) => primitiveOps.linear.apply([xs, ws!, bs ?? 0], undefined),
      reference: (xs, ws, bs) =>
        buildRef(xs.shape.slice(0, -1).concat([ws!.shape[0]!]), (index) => {
          const lead = index.slice(0, -1);
          const j = index[index.length - 1]!;
          let acc = bs ? read(bs, [j]) : 0;
          for (let k = 0; k < ws!.shape[1]!; k++) acc += read(xs, [...lead, k]) * read(ws!, [j, k]);
          return acc;
        }),
    }),
  );

/** gather(dim, index): index sizes <= the input's off `dim` (1..3 along it), values in [0, size). */
const gather = shapes({ minDims: 1 })
  .chain((s) =>
    dimArb(s.length).chain((dim) => {
      const d = normDim(dim, s.length);
      const indexShape = fc.tuple(...s.map((size, k) => fc.integer({ min: 1, max: k === d ? 3 : size })));
      return fc.tuple(tensor({ shape: s }), fc.constant(dim), indexShape.chain((is) => indexTensor(is, s[d]!)));
    }),
  )
  .map(([x, dim, index]) =>
    makeSample({
      op: "gather",
      inputs: [x, index],
      args: { dim },
      call: (a, idx) => a.gather(dim, idx!),
      reference: (a, idx) => {
        const d = normDim(dim, a.ndim);
        return buildRef(idx!.shape, (i) => read(a, i.map((v, k) => (k === d ? read(idx!, i) : v))));
      },
    }),
  );

/** scatterAdd(dim, index, src): index no larger than src, nor than the input off `dim`; repeats accumulate. */
const scatterAdd = shapes({ minDims: 1 })
  .chain((s) =>
    fc.tuple(dimArb(s.length), fc.tuple(...s.map(() => size13))).chain(([dim, srcShape]) => {
      const d = normDim(dim, s.length);
      const indexShape = fc.tuple(...s.map((size, k) => fc.integer({ min: 1, max: Math.min(srcShape[k]!, k === d ? 3 : size) })));
      return fc.tuple(tensor({ shape: s }), fc.constant(dim), indexShape.chain((is) => indexTensor(is, s[d]!)), tensor({ shape: srcShape }));
    }),
  )
  .map(([x, dim, index, src]) =>
    makeSample({
      op: "scatterAdd",
      inputs: [x, index, src],
      args: { dim },
      call: (a, idx, sr) => a.scatterAdd(dim, idx!, sr!),
      reference: (a, idx, sr) => {
        const d = normDim(dim, a.ndim);
        const out = buildRef(a.shape, (i) => read(a, i));
        const strides = a.shape.map((_, k) => a.shape.slice(k + 1).reduce((p, v) => p * v, 1));
        buildRef(idx!.shape, (i) => {
          const target = i.map((v, k) => (k === d ? read(idx!, i) : v));
          return (out.values[target.reduce((p, v, k) => p + v * strides[k]!, 0)]! += read(sr!, i));
        });
        return out;
      },
    }),
  );

/** indexSelect(dim, index): a 1-d index of 1..4 positions (repeats allowed) or a 0-d one (the dim stays, size 1). */
const indexSelect = shapes()
  .chain((s) =>
    dimArb(s.length).chain((dim) => {
      const size = s.length === 0 ? 1 : s[normDim(dim, s.length)]!;
      // A 0-d input takes exactly one index (PyTorch rejects more) and gives a 0-d result.
      const indexShape = fc.oneof(fc.constant<number[]>([]), fc.integer({ min: 1, max: s.length === 0 ? 1 : 4 }).map((n) => [n]));
      return fc.tuple(tensor({ shape: s }), fc.constant(dim), indexShape.chain((is) => indexTensor(is, size)));
    }),
  )
  .map(([x, dim, index]) =>
    makeSample({
      op: "indexSelect",
      inputs: [x, index],
      args: { dim },
      call: (a, idx) => a.indexSelect(dim, idx!),
      reference: (a, idx) => {
        const picks = valuesOf(idx!);
        if (a.ndim === 0) return { shape: [], values: [read(a, [])] };
        const d = normDim(dim, a.ndim);
        const shape = a.shape.map((v, k) => (k === d ? picks.length : v));
        return buildRef(shape, (i) => read(a, i.map((v, k) => (k === d ? picks[v]! : v))));
      },
    }),
  );

/** tril/triu(diagonal) on the last two dims of a tensor with at least 2 dims. */
function triangle(op: "tril" | "triu"): OpInfo {
  return {
    domain: ANY,
    gradgrad: true,
    sample: shapes({ minDims: 2 })
      .chain((s) => fc.tuple(tensor({ shape: s }), fc.integer({ min: -3, max: 3 })))
      .map(([x, diagonal]) =>
        makeSample({
          op,
          inputs: [x],
          args: { diagonal },
          call: (a) => (op === "tril" ? a.tril(diagonal) : a.triu(diagonal)),
          reference: (a) =>
            buildRef(a.shape, (i) => {
              const offset = i[i.length - 1]! - i[i.length - 2]!;
              return (op === "tril" ? offset <= diagonal : offset >= diagonal) ? read(a, i) : 0;
            }),
        }),
      ),
  };
}

/** Matmul and indexing op infos. */
export const INDEXING_INFOS = {
  matmul: { domain: ANY, gradgrad: true, sample: matmul },
  linear: { domain: ANY, gradgrad: true, sample: linear },
  gather: { domain: ANY, gradgrad: true, sample: gather },
  scatterAdd: { domain: ANY, gradgrad: true, sample: scatterAdd },
  indexSelect: { domain: ANY, gradgrad: true, sample: indexSelect },
  tril: triangle("tril"),
  triu: triangle("triu"),
} satisfies Record<string, OpInfo>;
