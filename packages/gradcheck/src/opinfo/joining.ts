/**
 * @file Op infos of the joining and splitting ops: cat (1-3 tensors differing along the dim),
 * stack (1-3 tensors of one shape, a new dim anywhere), split (by a size, or by sections that
 * sum to the dim) and chunk; the last two return a list of views, each checked.
 */
import fc from "fast-check";
import { cat, stack, type Tensor } from "@typegrad/autograd";
import { DOMAINS, tensor } from "../arbitraries.js";
import { buildRef, dimArb, domainText, makeSample, normDim, read, shapes, type OpInfo, type Ref } from "./common.js";

const ANY = domainText(DOMAINS.any);

/** The pieces of `a` along `dim` of the given sizes. */
function piecesRef(a: Tensor, dim: number, sizes: readonly number[]): Ref[] {
  let at = 0;
  return sizes.map((size) => {
    const from = at;
    at += size;
    return buildRef(
      a.shape.map((s, d) => (d === dim ? size : s)),
      (i) => read(a, i.map((v, d) => (d === dim ? from + v : v))),
    );
  });
}

/** cat(tensors, dim): 1-3 tensors of one shape except along dim (sizes 1..3). */
const catSample = shapes({ minDims: 1 })
  .chain((s) =>
    dimArb(s.length).chain((dim) => {
      const d = normDim(dim, s.length);
      const one = fc.integer({ min: 1, max: 3 }).chain((size) => tensor({ shape: s.map((v, k) => (k === d ? size : v)) }));
      return fc.tuple(fc.constant(dim), fc.array(one, { minLength: 1, maxLength: 3 }));
    }),
  )
  .map(([dim, xs]) =>
    makeSample({
      op: "cat",
      inputs: xs,
      args: { dim },
      call: (...ts) => cat(ts, dim),
      reference: (...ts) => {
        const d = normDim(dim, ts[0]!.ndim);
        const starts = ts.map((_, k) => ts.slice(0, k).reduce((n, t) => n + t.shape[d]!, 0));
        const shape = ts[0]!.shape.map((v, k) => (k === d ? ts.reduce((n, t) => n + t.shape[d]!, 0) : v));
        return buildRef(shape, (i) => {
          let k = 0;
          while (k + 1 < ts.length && i[d]! >= starts[k + 1]!) k++;
          return read(ts[k]!, i.map((v, j) => (j === d ? v - starts[k]! : v)));
        });
      },
    }),
  );

/** stack(tensors, dim): 1-3 tensors of one shape (up to 3 dims), dim in [-(n+1), n]. */
const stackSample = shapes({ maxDims: 3 })
  .chain((s) => fc.tuple(fc.integer({ min: -s.length - 1, max: s.length }), fc.array(tensor({ shape: s }), { minLength: 1, maxLength: 3 })))
  .map(([dim, xs]) =>
    makeSample({
      op: "stack",
      inputs: xs,
      args: { dim },
      call: (...ts) => stack(ts, dim),
      reference: (...ts) => {
        const n = ts[0]!.ndim;
        const d = dim < 0 ? dim + n + 1 : dim;
        const shape = [...ts[0]!.shape];
        shape.splice(d, 0, ts.length);
        return buildRef(shape, (i) => read(ts[i[d]!]!, [...i.slice(0, d), ...i.slice(d + 1)]));
      },
    }),
  );

/** A random composition of `size` into positive parts. */
const composition = (size: number) =>
  fc.array(fc.boolean(), { minLength: size - 1, maxLength: size - 1 }).map((cuts) => {
    const parts = [1];
    cuts.forEach((cut) => (cut ? parts.push(1) : (parts[parts.length - 1]! += 1)));
    return parts;
  });

/** split(sizeOrSections, dim): a piece size 1..4 (the last piece shorter), or sections summing to the size. */
const splitSample = shapes({ minDims: 1 })
  .chain((s) =>
    dimArb(s.length).chain((dim) => {
      const size = s[normDim(dim, s.length)]!;
      return fc.tuple(tensor({ shape: s }), fc.constant(dim), fc.oneof(fc.integer({ min: 1, max: 4 }), composition(size)));
    }),
  )
  .map(([x, dim, how]) =>
    makeSample({
      op: "split",
      inputs: [x],
      args: { sizeOrSections: how, dim },
      call: (a) => a.split(how, dim),
      reference: (a) => {
        const d = normDim(dim, a.ndim);
        const size = a.shape[d]!;
        if (typeof how !== "number") return piecesRef(a, d, how);
        const sizes: number[] = [];
        for (let at = 0; at < size; at += how) sizes.push(Math.min(how, size - at));
        return piecesRef(a, d, sizes);
      },
    }),
  );

/** chunk(chunks, dim), chunks 1..4: pieces of ceil(size / chunks), maybe fewer than asked. */
const chunkSample = shapes({ minDims: 1 })
  .chain((s) => fc.tuple(tensor({ shape: s }), dimArb(s.length), fc.integer({ min: 1, max: 4 })))
  .map(([x, dim, chunks]) =>
    makeSample({
      op: "chunk",
      inputs: [x],
      args: { chunks, dim },
      call: (a) => a.chunk(chunks, dim),
      reference: (a) => {
        const d = normDim(dim, a.ndim);
        const size = a.shape[d]!;
        const step = Math.ceil(size / chunks);
        const sizes: number[] = [];
        for (let at = 0; at < size; at += step) sizes.push(Math.min(step, size - at));
        return piecesRef(a, d, sizes);
      },
    }),
  );

/** Joining op infos. */
export const JOINING_INFOS = {
  cat: { domain: ANY, gradgrad: true, sample: catSample },
  stack: { domain: ANY, gradgrad: true, sample: stackSample },
  split: { domain: ANY, gradgrad: true, sample: splitSample },
  chunk: { domain: ANY, gradgrad: true, sample: chunkSample },
} satisfies Record<string, OpInfo>;
