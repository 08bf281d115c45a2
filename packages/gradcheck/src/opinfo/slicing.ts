/**
 * @file Op infos of the slicing ops: slice (Python bounds: negative, out of range, empty, with
 * a step), narrow, select, and the internal primitives sliceBackward (a slice's gradient: zeros
 * with the input written into the slice) and asStrided/asStridedBackward (explicit layouts over
 * storage). asStrided reads storage directly, so its input is contiguous and its views stay
 * within that storage; overlapping views (stride 0, or strides that revisit elements) are fine.
 */
import fc from "fast-check";
import { primitiveOps, type Tensor } from "@typegrad/autograd";
import { DOMAINS, tensor, type LayoutKind } from "../arbitraries.js";
import { arrayOf, buildRef, dimArb, domainText, makeSample, normDim, read, shapes, valuesOf, type OpInfo } from "./common.js";

const ANY = domainText(DOMAINS.any);

/** Python's resolution of slice bounds along a dim of `size`. */
function resolve(size: number, start: number, end: number | undefined): [number, number] {
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const lo = clampIndex(start);
  return [lo, Math.max(clampIndex(end ?? size), lo)];
}

/** Values of `a` along `dim` at positions start, start + step, ... below end. */
function sliceRef(a: Tensor, dim: number, start: number, end: number, step: number) {
  const shape = a.shape.map((s, d) => (d === dim ? Math.ceil((end - start) / step) : s));
  return buildRef(shape, (i) => read(a, i.map((v, d) => (d === dim ? start + v * step : v))));
}

/** x.slice(dim, start, end?, step) with bounds in [-4, 4] (out of range clamps) and steps 1..3. */
const slice = shapes({ minDims: 1 })
  .chain((s) =>
    fc.tuple(tensor({ shape: s }), dimArb(s.length), fc.integer({ min: -4, max: 4 }), fc.option(fc.integer({ min: -4, max: 4 }), { nil: undefined }), fc.integer({ min: 1, max: 3 })),
  )
  .map(([x, dim, start, end, step]) =>
    makeSample({
      op: "slice",
      inputs: [x],
      args: { dim, start, end, step },
      call: (a) => a.slice(dim, start, end, step),
      reference: (a) => {
        const d = normDim(dim, a.ndim);
        const [lo, hi] = resolve(a.shape[d]!, start, end);
        return sliceRef(a, d, lo, hi, step);
      },
    }),
  );

/** x.narrow(dim, start, length), start maybe negative, length maybe 0. */
const narrow = shapes({ minDims: 1 })
  .chain((s) =>
    dimArb(s.length).chain((dim) => {
      const size = s[normDim(dim, s.length)]!;
      return fc.tuple(tensor({ shape: s }), fc.constant(dim), fc.integer({ min: -size, max: size })).chain(([x, d, start]) => {
        const from = start < 0 ? start + size : start;
        return fc.integer({ min: 0, max: size - from }).map((length) => [x, d, start, length] as const);
      });
    }),
  )
  .map(([x, dim, start, length]) =>
    makeSample({
      op: "narrow",
      inputs: [x],
      args: { dim, start, length },
      call: (a) => a.narrow(dim, start, length),
      reference: (a) => {
        const d = normDim(dim, a.ndim);
        const from = start < 0 ? start + a.shape[d]! : start;
        return sliceRef(a, d, from, from + length, 1);
      },
    }),
  );

/** x.select(dim, index), index maybe negative: the dim disappears. */
const select = shapes({ minDims: 1 })
  .chain((s) =>
    dimArb(s.length).chain((dim) => {
      const size = s[normDim(dim, s.length)]!;
      return fc.tuple(tensor({ shape: s }), fc.constant(dim), fc.integer({ min: -size, max: size - 1 }));
    }),
  )
  .map(([x, dim, index]) =>
    makeSample({
      op: "select",
      inputs: [x],
      args: { dim, index },
      call: (a) => a.select(dim, index),
      reference: (a) => {
        const d = normDim(dim, a.ndim);
        const i0 = index < 0 ? index + a.shape[d]! : index;
        return buildRef(
          a.shape.filter((_, k) => k !== d),
          (i) => read(a, [...i.slice(0, d), i0, ...i.slice(d)]),
        );
      },
    }),
  );

/** sliceBackward with resolved params: g (the slice's shape) written into zeros of `shape`. */
const sliceBackward = shapes({ minDims: 1 })
  .chain((shape) =>
    fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) => {
      const size = shape[dim]!;
      return fc
        .tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size }), fc.integer({ min: 1, max: 3 }))
        .chain(([p, q, step]) => {
          const [start, end] = [Math.min(p, q), Math.max(p, q)];
          const gShape = shape.map((s, d) => (d === dim ? Math.ceil((end - start) / step) : s));
          return tensor({ shape: gShape }).map((g) => ({ g, params: { dim, start, end, step, shape } }));
        });
    }),
  )
  .map(({ g, params }) =>
    makeSample({
      op: "sliceBackward",
      inputs: [g],
      args: params,
      call: (a) => primitiveOps.sliceBackward.apply([a], params),
      reference: (a) =>
        buildRef(params.shape, (i) => {
          const k = i[params.dim]! - params.start;
          const inside = k >= 0 && k % params.step === 0 && i[params.dim]! < params.end;
          return inside ? read(a, i.map((v, d) => (d === params.dim ? k / params.step : v))) : 0;
        }),
    }),
  );

/** A strided layout: shape, strides and offset. */
interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

/** Up to 3 dims of sizes 1..3, strides 0..3 (so views may overlap), offsets 0..3. */
const geometry: fc.Arbitrary<Geometry> = fc
  .integer({ min: 0, max: 3 })
  .chain((n) => fc.tuple(arrayOf(fc.integer({ min: 1, max: 3 }), n), arrayOf(fc.integer({ min: 0, max: 3 }), n), fc.nat(3)))
  .map(([shape, strides, offset]) => ({ shape, strides, offset }));

/** One past the last storage element a geometry reaches. */
const extent = (g: Geometry) => g.offset + g.shape.reduce((e, s, d) => e + (s - 1) * g.strides[d]!, 0) + 1;
/** The storage position of `index` under `g`. */
const position = (g: Geometry, index: readonly number[]) => index.reduce((p, v, d) => p + v * g.strides[d]!, g.offset);

/** x.asStrided(shape, strides, offset) on a contiguous x (1-d or 2-d) holding every element it reads. */
const asStrided = fc
  .tuple(geometry, fc.nat(2), fc.boolean())
  .chain(([view, extra, square]) => {
    const n = extent(view) + extra;
    const shape = square && n % 2 === 0 ? [2, n / 2] : [n];
    return tensor({ shape, layouts: ["contiguous"] }).map((x) => ({ x, view }));
  })
  .map(({ x, view }) =>
    makeSample({
      op: "asStrided",
      inputs: [x],
      args: { ...view },
      call: (a) => a.asStrided(view.shape, view.strides, view.offset),
      reference: (a) => {
        const flat = valuesOf(a);
        return buildRef(view.shape, (i) => flat[position(view, i)]!);
      },
    }),
  );

/**
 * asStridedBackward: g (laid out as `from`, overlaps summing) scattered into zeros of `storage`
 * elements, then read back as `to` (which may overlap too).
 */
const asStridedBackward = fc
  .tuple(geometry, geometry, fc.nat(2))
  .chain(([from, to, extra]) => {
    const storage = Math.max(extent(from), extent(to)) + extra;
    return tensor({ shape: from.shape }).map((g) => ({ g, params: { from, to, storage } }));
  })
  .map(({ g, params }) =>
    makeSample({
      op: "asStridedBackward",
      inputs: [g],
      args: params,
      call: (a) => primitiveOps.asStridedBackward.apply([a], params),
      reference: (a) => {
        const buffer = new Array<number>(params.storage).fill(0);
        buildRef(params.from.shape, (i) => (buffer[position(params.from, i)]! += read(a, i)));
        return buildRef(params.to.shape, (i) => buffer[position(params.to, i)]!);
      },
    }),
  );

const CONTIGUOUS: readonly LayoutKind[] = ["contiguous"];

/** Slicing op infos. */
export const SLICING_INFOS = {
  slice: { domain: ANY, gradgrad: true, sample: slice },
  narrow: { domain: ANY, gradgrad: true, sample: narrow },
  select: { domain: ANY, gradgrad: true, sample: select },
  sliceBackward: { domain: ANY, gradgrad: true, sample: sliceBackward },
  // asStrided reads storage, not logical elements: only a contiguous input makes the two agree.
  asStrided: { domain: ANY, gradgrad: true, sample: asStrided, forwardLayouts: CONTIGUOUS },
  asStridedBackward: { domain: ANY, gradgrad: true, sample: asStridedBackward },
} satisfies Record<string, OpInfo>;
