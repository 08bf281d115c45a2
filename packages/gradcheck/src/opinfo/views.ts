/**
 * @file Op infos of the shape ops: reshape/view (to a random factorization of the element
 * count, sometimes with -1), permute, expand/expandAs, transpose, t, squeeze, unsqueeze,
 * flatten, contiguous and clone. References move values by index arithmetic alone.
 */
import fc from "fast-check";
import { primitiveOps, type Tensor } from "@typegrad/autograd";
import { DOMAINS, tensor, type LayoutKind } from "../arbitraries.js";
import {
  arrayOf,
  buildRef,
  count,
  dimArb,
  domainText,
  makeSample,
  normDim,
  read,
  shapes,
  valuesOf,
  type OpInfo,
  type OpSample,
  type Ref,
} from "./common.js";
import { broadcastIndex } from "@typegrad/tensor/testing";

const ANY = domainText(DOMAINS.any);
const bools = (n: number) => arrayOf(fc.boolean().map(Number), n);

/** A random shape with `n` elements (n's factors are 2s and 3s), with size-1 dims sprinkled in. */
function factorization(n: number): fc.Arbitrary<number[]> {
  const primes: number[] = [];
  let m = n;
  for (const p of [2, 3]) {
    while (m % p === 0) {
      primes.push(p);
      m /= p;
    }
  }
  return fc
    .tuple(fc.shuffledSubarray(primes, { minLength: primes.length, maxLength: primes.length }), bools(primes.length), fc.array(fc.nat(4), { maxLength: 2 }))
    .map(([ps, cuts, ones]) => {
      const groups: number[] = [];
      ps.forEach((p, k) => {
        if (k === 0 || cuts[k]) groups.push(p);
        else groups[groups.length - 1]! *= p;
      });
      for (const at of ones) groups.splice(Math.min(at, groups.length), 0, 1);
      return groups;
    });
}

/** reshape/view to a new shape of the same size, one dim maybe given as -1. */
function regroup(op: "reshape" | "view", layouts?: readonly LayoutKind[]): fc.Arbitrary<OpSample> {
  return shapes()
    .chain((s) =>
      fc.tuple(
        tensor({ shape: s, ...(layouts ? { layouts } : {}) }),
        factorization(count(s)).chain((target) => fc.tuple(fc.constant(target), fc.integer({ min: -1, max: target.length - 1 }))),
      ),
    )
    .map(([x, [target, infer]]) => {
      const shape = target.map((size, d) => (d === infer ? -1 : size));
      return makeSample({
        op,
        inputs: [x],
        args: { shape },
        call: (a) => (op === "reshape" ? a.reshape(shape) : a.view(shape)),
        reference: (a) => ({ shape: target, values: valuesOf(a) }),
      });
    });
}

/** A permutation of `n` dims, each entry negative half the time. */
const permutation = (n: number) =>
  fc
    .tuple(fc.shuffledSubarray(Array.from({ length: n }, (_, d) => d), { minLength: n, maxLength: n }), bools(n))
    .map(([p, neg]) => p.map((d, k) => (neg[k] ? d - n : d)));

/** Values of `a` read through a map from output index to input index. */
const gatherRef = (a: Tensor, shape: readonly number[], source: (index: number[]) => number[]): Ref =>
  buildRef(shape, (i) => read(a, source(i)));

/** A shape with some dims set to 1, and an expand target: new leading dims, the 1s stretched, -1 for kept sizes. */
const expandCase = shapes({ maxDims: 3 }).chain((full) =>
  fc.tuple(bools(full.length), bools(full.length), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 - full.length })).map(([ones, keep, lead]) => {
    const small = full.map((s, d) => (ones[d] ? 1 : s));
    const resolved = [...lead, ...full];
    const target = [...lead, ...full.map((s, d) => (keep[d] && small[d] === s ? -1 : s))];
    return { small, resolved, target };
  }),
);

/** expand and expandAs; `other` supplies the target shape of expandAs (no gradient). */
function expansion(op: "expand" | "expandAs"): fc.Arbitrary<OpSample> {
  return expandCase
    .chain((c) => fc.tuple(fc.constant(c), tensor({ shape: c.small }), tensor({ shape: c.resolved, requiresGrad: false })))
    .map(([{ resolved, target }, x, other]) =>
      makeSample({
        op,
        inputs: op === "expand" ? [x] : [x, other],
        args: op === "expand" ? { shape: target } : {},
        call: (a, o) => (op === "expand" ? a.expand(target) : a.expandAs(o!)),
        reference: (a) => gatherRef(a, resolved, (i) => broadcastIndex(i, a.shape)),
      }),
    );
}

/** transpose(dim0, dim1), either maybe negative or equal. */
const transpose = shapes()
  .chain((s) => fc.tuple(tensor({ shape: s }), dimArb(s.length), dimArb(s.length)))
  .map(([x, d0, d1]) =>
    makeSample({
      op: "transpose",
      inputs: [x],
      args: { dim0: d0, dim1: d1 },
      call: (a) => a.transpose(d0, d1),
      reference: (a) => {
        if (a.ndim < 2) return { shape: [...a.shape], values: valuesOf(a) };
        const [p, q] = [normDim(d0, a.ndim), normDim(d1, a.ndim)];
        const swap = (i: number[]) => i.map((v, k) => (k === p ? i[q]! : k === q ? i[p]! : v));
        return gatherRef(a, swap([...a.shape]), swap);
      },
    }),
  );

/** squeeze() / squeeze(dim) / squeeze(dims): size-1 dims among those named disappear. */
const squeeze = shapes()
  .chain((s) =>
    fc.tuple(
      tensor({ shape: s }),
      fc.oneof(
        fc.constant(undefined),
        dimArb(s.length),
        fc.shuffledSubarray(Array.from({ length: s.length }, (_, d) => d)).chain((ds) => bools(ds.length).map((neg) => ds.map((d, k) => (neg[k] ? d - s.length : d)))),
      ),
    ),
  )
  .map(([x, dim]) =>
    makeSample({
      op: "squeeze",
      inputs: [x],
      args: { dim },
      call: (a) => a.squeeze(dim),
      reference: (a) => {
        const named = dim === undefined ? a.shape.map((_, d) => d) : (typeof dim === "number" ? [dim] : dim).map((d) => normDim(d, a.ndim));
        const gone = (d: number) => a.shape[d] === 1 && named.includes(d);
        const shape = a.shape.filter((_, d) => !gone(d));
        return { shape, values: valuesOf(a) };
      },
    }),
  );

/** unsqueeze(dim), dim in [-(n+1), n]. */
const unsqueeze = shapes()
  .chain((s) => fc.tuple(tensor({ shape: s }), fc.integer({ min: -s.length - 1, max: s.length })))
  .map(([x, dim]) =>
    makeSample({
      op: "unsqueeze",
      inputs: [x],
      args: { dim },
      call: (a) => a.unsqueeze(dim),
      reference: (a) => {
        const d = dim < 0 ? dim + a.ndim + 1 : dim;
        const shape = [...a.shape];
        shape.splice(d, 0, 1);
        return { shape, values: valuesOf(a) };
      },
    }),
  );

/** flatten(start?, end?), start <= end once normalized. */
const flatten = shapes()
  .chain((s) => {
    const n = Math.max(s.length, 1);
    const bounds = fc
      .tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }), bools(2))
      .map(([p, q, neg]) => [Math.min(p, q) - (neg[0] ? n : 0), Math.max(p, q) - (neg[1] ? n : 0)] as const);
    return fc.tuple(tensor({ shape: s }), fc.oneof(fc.constant([undefined, undefined] as const), bounds.map(([a]) => [a, undefined] as const), bounds));
  })
  .map(([x, [start, end]]) =>
    makeSample({
      op: "flatten",
      inputs: [x],
      args: { start, end },
      call: (a) => a.flatten(start, end),
      reference: (a) => {
        if (a.ndim === 0) return { shape: [1], values: valuesOf(a) };
        const [p, q] = [normDim(start ?? 0, a.ndim), normDim(end ?? -1, a.ndim)];
        return { shape: [...a.shape.slice(0, p), count(a.shape.slice(p, q + 1)), ...a.shape.slice(q + 1)], values: valuesOf(a) };
      },
    }),
  );

/** An op that keeps shape and values (t on <= 2 dims, contiguous, clone). */
function identityLike(op: string, call: (x: Tensor) => Tensor, maxDims = 4): fc.Arbitrary<OpSample> {
  return tensor({ shape: shapes({ maxDims }) }).map((x) =>
    makeSample({
      op,
      inputs: [x],
      call: (a) => call(a),
      reference: (a) => (op === "t" && a.ndim === 2 ? gatherRef(a, [a.shape[1]!, a.shape[0]!], ([i, j]) => [j!, i!]) : { shape: [...a.shape], values: valuesOf(a) }),
    }),
  );
}

const CONTIGUOUS_ONLY: readonly LayoutKind[] = ["contiguous", "offset"];

/** Shape-op infos. */
export const VIEW_INFOS = {
  reshape: { domain: ANY, gradgrad: true, sample: regroup("reshape") },
  // view needs view-compatible strides: contiguous storage (with or without an offset) always is.
  view: { domain: ANY, gradgrad: true, sample: regroup("view", CONTIGUOUS_ONLY), forwardLayouts: CONTIGUOUS_ONLY },
  permute: {
    domain: ANY,
    gradgrad: true,
    sample: shapes()
      .chain((s) => fc.tuple(tensor({ shape: s }), permutation(s.length)))
      .map(([x, dims]) =>
        makeSample({
          op: "permute",
          inputs: [x],
          args: { dims },
          call: (a) => a.permute(dims),
          reference: (a) => {
            const p = dims.map((d) => normDim(d, a.ndim));
            return gatherRef(
              a,
              p.map((d) => a.shape[d]!),
              (i) => a.shape.map((_, d) => i[p.indexOf(d)]!),
            );
          },
        }),
      ),
  },
  expand: { domain: ANY, gradgrad: true, sample: expansion("expand") },
  expandAs: { domain: ANY, gradgrad: true, sample: expansion("expandAs") },
  transpose: { domain: ANY, gradgrad: true, sample: transpose },
  t: { domain: ANY, gradgrad: true, sample: identityLike("t", (x) => x.t(), 2) },
  squeeze: { domain: ANY, gradgrad: true, sample: squeeze },
  unsqueeze: { domain: ANY, gradgrad: true, sample: unsqueeze },
  flatten: { domain: ANY, gradgrad: true, sample: flatten },
  // The primitive itself: Tensor.contiguous() returns a contiguous input unchanged, recording nothing.
  contiguous: { domain: ANY, gradgrad: true, sample: identityLike("contiguous", (x) => primitiveOps.contiguous.apply([x])) },
  clone: { domain: ANY, gradgrad: true, sample: identityLike("clone", (x) => x.clone()) },
} satisfies Record<string, OpInfo>;
