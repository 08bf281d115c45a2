/** @file NDArray views: each equals the same operation done by copying, shares storage, and rejects bad input by name. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, array, zeros } from "./create.js";
import { numel } from "./layout.js";
import { NDArray } from "./ndarray.js";
import { ndarrays, relayout, shapes } from "./testing/arbitraries.js";
import { propertyConfig } from "./testing/config.js";
import { allIndices, at, logicalValues } from "./testing/reference.js";
import { expectValues } from "./test-helpers.js";

/** Arrays of random shape and layout, plus a dim of them (when they have one). */
const withDim = ndarrays({ shape: shapes({ minDims: 1 }) }).chain((a) =>
  fc.tuple(fc.constant(a), fc.integer({ min: -a.ndim, max: a.ndim - 1 })),
);

function wrap(dim: number, ndim: number): number {
  return dim < 0 ? dim + ndim : dim;
}

describe("views equal the same operation done by copying", () => {
  it("permute", () => {
    fc.assert(
      fc.property(
        ndarrays().chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a.shape.map((_, d) => d), { minLength: a.ndim }))),
        ([a, perm]) => {
          const v = a.permute(perm);
          const want = allIndices(v.shape).map((index) => {
            const src = new Array<number>(a.ndim);
            perm.forEach((d, k) => (src[d] = index[k]!));
            return at(a, src);
          });
          expectValues(v, perm.map((d) => a.shape[d]!), want);
          expect(v.sharesStorage(a)).toBe(true);
        },
      ),
      propertyConfig(),
    );
  });

  it("transpose and t", () => {
    fc.assert(
      fc.property(withDim, fc.nat(), ([a, d0], k) => {
        const d1 = k % a.ndim;
        const v = a.transpose(d0, d1);
        const [x, y] = [wrap(d0, a.ndim), d1];
        const want = allIndices(v.shape).map((index) => {
          const src = index.slice();
          [src[x], src[y]] = [index[y]!, index[x]!];
          return at(a, src);
        });
        expectValues(v, v.shape, want);
        if (a.ndim <= 2) expectValues(a.t(), a.shape.slice().reverse(), logicalValues(a.transpose(0, -1)));
      }),
      propertyConfig(),
    );
  });

  it("reshape reads the row-major elements and round-trips; view agrees when it exists", () => {
    fc.assert(
      fc.property(ndarrays(), shapes(), (a, target) => {
        const shape = numel(target) === a.size ? target : [a.size];
        const r = a.reshape(shape);
        expectValues(r, shape, logicalValues(a));
        expectValues(r.reshape(a.shape.slice()), a.shape, logicalValues(a));
        let viewed: NDArray | null = null;
        try {
          viewed = a.view(shape);
        } catch (e) {
          expect((e as Error).message).toMatch(/^view: /);
          expect(a.isContiguous()).toBe(false);
        }
        if (viewed) {
          expect(viewed.sharesStorage(a)).toBe(true);
          expectValues(viewed, shape, logicalValues(a));
        }
      }),
      propertyConfig(),
    );
  });

  it("reshapeLike reads the row-major elements and lays a copy out in the order of `like`", () => {
    fc.assert(
      fc.property(ndarrays(), shapes(), fc.infiniteStream(fc.integer()), (a, target, keys) => {
        const shape = numel(target) === a.size ? target : [a.size];
        // `like`: strides of `shape` in a random dim order (a permuted dense layout).
        const order = shape.map((_, d) => d).sort((p, q) => (keys.next().value as number) % 3 - 1 || p - q);
        const like = new Array<number>(shape.length);
        let stride = 1;
        for (let k = order.length - 1; k >= 0; k--) {
          like[order[k]!] = stride;
          stride *= Math.max(shape[order[k]!]!, 1);
        }
        const r = a.reshapeLike(shape, like);
        expectValues(r, shape, logicalValues(a));
        if (!r.sharesStorage(a) && a.size > 0) {
          // a copy: gap-free, and in like's memory order wherever dims have more than one element
          expect(Math.max(...r.shape.map((s, d) => (s > 1 ? (s - 1) * r.strides[d]! : 0))) + 1).toBe(a.size);
          const big = shape.map((_, d) => d).filter((d) => shape[d]! > 1);
          for (const p of big) for (const q of big) if (like[p]! > like[q]!) expect(r.strides[p]!).toBeGreaterThan(r.strides[q]!);
        }
      }),
      propertyConfig(),
    );
  });

  it("slice with start, end and step (negative and out-of-range bounds clamp like Python)", () => {
    fc.assert(
      fc.property(withDim, fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 3 }), ([a, dim], start, end, step) => {
        const d = wrap(dim, a.ndim);
        const size = a.shape[d]!;
        const picks: number[] = [];
        const lo = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        const hi = Math.min(Math.max(end < 0 ? end + size : end, 0), size);
        for (let i = lo; i < hi; i += step) picks.push(i);
        const v = a.slice(dim, start, end, step);
        const shape = a.shape.slice();
        shape[d] = picks.length;
        const want = allIndices(shape).map((index) => {
          const src = index.slice();
          src[d] = picks[index[d]!]!;
          return at(a, src);
        });
        expectValues(v, shape, want);
      }),
      propertyConfig(),
    );
  });

  it("narrow and select", () => {
    fc.assert(
      fc.property(withDim, fc.nat(), fc.nat(), ([a, dim], s, l) => {
        const d = wrap(dim, a.ndim);
        const size = a.shape[d]!;
        const start = s % size;
        const length = l % (size - start + 1);
        expectValues(a.narrow(dim, start, length), a.narrow(dim, start, length).shape, logicalValues(a.slice(d, start, start + length)));
        const sel = a.select(dim, start - size);
        const want = allIndices(sel.shape).map((index) => at(a, [...index.slice(0, d), start, ...index.slice(d)]));
        expectValues(sel, a.shape.filter((_, k) => k !== d), want);
      }),
      propertyConfig(),
    );
  });

  it("squeeze, unsqueeze and flatten keep the elements", () => {
    fc.assert(
      fc.property(ndarrays({ shape: shapes({ minSize: 1, maxSize: 2 }) }), fc.nat(), (a, k) => {
        const values = logicalValues(a);
        expectValues(a.squeeze(), a.shape.filter((s) => s !== 1), values);
        const dim = (k % (a.ndim + 1)) - (k % 2 === 0 ? 0 : a.ndim + 1);
        const u = a.unsqueeze(dim);
        const d = wrap(dim, a.ndim + 1);
        expectValues(u, [...a.shape.slice(0, d), 1, ...a.shape.slice(d)], values);
        expect(u.squeeze(d).shape).toEqual(a.shape);
        expectValues(a.flatten(), [a.size], values);
        if (a.ndim >= 2) expectValues(a.flatten(1), [a.shape[0]!, a.size / a.shape[0]!], values);
      }),
      propertyConfig(),
    );
  });

  it("expand and broadcastTo repeat values with stride 0", () => {
    fc.assert(
      fc.property(ndarrays({ shape: shapes({ maxSize: 2 }) }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), (a, lead) => {
        const target = [...lead, ...a.shape.map((s, d) => (s === 1 ? d + 2 : s))];
        const e = a.expand(target);
        const want = allIndices(target).map((index) => at(a, index.slice(lead.length).map((i, d) => (a.shape[d] === 1 ? 0 : i))));
        expectValues(e, target, want);
        expectValues(a.broadcastTo(target), target, want);
        expect(a.expand([...lead, ...a.shape.map(() => -1)]).shape).toEqual([...lead, ...a.shape]);
      }),
      propertyConfig(),
    );
  });

  it("contiguous copies only when needed, and asStrided reads the given layout", () => {
    fc.assert(
      fc.property(ndarrays({ layouts: ["contiguous", "permuted", "strided"] }), (a) => {
        const c = a.contiguous();
        expect(c === a).toBe(a.isContiguous());
        expect(c.isContiguous()).toBe(true);
        expectValues(c, a.shape, logicalValues(a));
        const s = a.asStrided(a.shape, a.strides, a.offset);
        expectValues(s, a.shape, logicalValues(a));
      }),
      propertyConfig(),
    );
  });
});

describe("views share storage", () => {
  it("a write through any view is seen by the base", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }).chain((shape) => relayout(arange(numel(shape)).reshape(shape))),
        (base) => {
          const views = [base.transpose(0, 1), base.slice(0, 1), base.select(1, 0), base.unsqueeze(0), base.expand(base.shape)];
          const flat = base.flatten(0, 1);
          // reshape/flatten are views exactly when the strides allow; a contiguous base always does.
          if (base.isContiguous()) expect(flat.sharesStorage(base)).toBe(true);
          if (flat.sharesStorage(base)) views.push(flat);
          for (const v of views) {
            if (v.size === 0) continue;
            const index = v.shape.map(() => 0);
            v.set(index, -7);
            expect(logicalValues(base)).toContain(-7);
            v.set(index, 0);
          }
        },
      ),
      propertyConfig(),
    );
  });
});

describe("element access and conversion", () => {
  it("get, item, tolist and toArray", () => {
    const a = array([[1, 2, 3], [4, 5, 6]], { dtype: "int32" });
    const t = a.t();
    expect(t.get(2, 1)).toBe(6);
    expect(t.get(-1, -2)).toBe(3);
    expect(t.tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(Array.from(t.toArray())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(t.toArray()).toBeInstanceOf(Int32Array);
    expect(array([true, false]).tolist()).toEqual([true, false]);
    expect(a.select(0, 1).select(0, 2).item()).toBe(6);
    expect(array([true]).item()).toBe(true);
  });

  it("toArray gives an array with a buffer of its own, also for small storage in a shared chunk", () => {
    const neighbour = zeros([16, 4], { dtype: "float32" });
    const small = zeros([4, 8], { dtype: "float32" });
    for (const x of [small, small.transpose(0, 1), small.slice(0, 1, 3, 1)]) {
      const out = x.toArray();
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(out.byteLength);
      expect(out.buffer).not.toBe(neighbour.data.buffer);
    }
  });

  it("astype converts like PyTorch's casts", () => {
    const a = array([-1.7, -0.5, 0, 0.5, 2.9, NaN], { dtype: "float64" });
    expect(Array.from(a.astype("int32").toArray())).toEqual([-1, 0, 0, 0, 2, 0]);
    expect(Array.from(a.astype("bool").toArray())).toEqual([1, 1, 0, 1, 1, 1]);
    expect(a.astype("float64")).toBe(a);
    expect(a.astype("float64", true)).not.toBe(a);
  });
});

describe("fromStorage keeps bool storage 0/1 by matching dtype and storage", () => {
  const STORAGES = [
    ["float32", () => new Float32Array(4)],
    ["float64", () => new Float64Array(4)],
    ["int32", () => new Int32Array(4)],
    ["bool", () => new Uint8Array(4)],
  ] as const;

  it.each(STORAGES)("a %s storage takes its own dtype or none, and rejects every other", (own, make) => {
    expect(NDArray.fromStorage(make(), [4]).dtype).toBe(own);
    expect(NDArray.fromStorage(make(), [4], undefined, 0, own).dtype).toBe(own);
    for (const [other] of STORAGES.filter(([d]) => d !== own)) {
      const call = () => NDArray.fromStorage(make(), [4], undefined, 0, other);
      expect(call).toThrow(TypeError);
      expect(call).toThrow(new RegExp(`^fromStorage: dtype ${other} does not match the storage, a \\w+Array that holds ${own}$`));
    }
    expect(() => NDArray.fromStorage(make(), [4], undefined, 0, "int64" as never)).toThrow(/^fromStorage: unknown dtype "int64"/);
  });
});

describe("errors name the function and the shapes", () => {
  const a = zeros([2, 3]);
  it.each([
    [() => a.permute([0, 0]), /permute: dims \[0,0\] are not a permutation of 2 dims/],
    [() => a.permute([0]), /permute: dims \[0\] are not a permutation of 2 dims/],
    [() => a.transpose(0, 2), /transpose: dim 2 is out of range/],
    [() => a.t().view([6]), /view: shape \[6\] is not compatible with the strides \[1,3\] of shape \[3,2\].*reshape/],
    [() => a.reshape([4, 2]), /reshape: shape \[4,2\] is invalid for input of size 6/],
    [() => a.expand([2, 4]), /expand: cannot broadcast shape \[2,3\] to \[2,4\] \(dim 1: 3 vs 4\)/],
    [() => a.expand([3]), /expand: target \[3\] has fewer dims/],
    [() => a.broadcastTo([3]), /broadcastTo: cannot broadcast shape \[2,3\] to \[3\]/],
    [() => a.slice(1, 0, 3, 0), /slice: step must be a positive integer, got 0/],
    [() => a.narrow(1, 2, 2), /narrow: start 2 \+ length 2 exceeds dim 1 of size 3/],
    [() => a.select(0, 2), /select: index 2 is out of range for dim 0 of size 2/],
    [() => a.unsqueeze(4), /unsqueeze: dim 4 is out of range/],
    [() => a.flatten(1, 0), /flatten: startDim 1 comes after endDim 0/],
    [() => a.asStrided([2, 3], [3, 2]), /asStrided: layout .* reaches element 7 of a storage of 6/],
    [() => a.asStrided([2], [-1]), /asStrided: strides \[-1\] must be non-negative/],
    [() => a.get(0, 3), /get: index 3 is out of range for dim 1 of size 3/],
    [() => a.get(0), /get: expected 2 indices for shape \[2,3\], got 1/],
    [() => a.item(), /item: a tensor with 6 elements \(shape \[2,3\]\) cannot be converted to a scalar/],
    [() => zeros([3, 2, 2]).t(), /t: expects a tensor with <= 2 dims/],
    [() => NDArray.fromStorage(new Float32Array(5), [2, 3]), /fromStorage: layout .* reaches element 5 of a storage of 5/],
  ])("%#", (fn, message) => {
    expect(fn).toThrow(message);
  });
});
