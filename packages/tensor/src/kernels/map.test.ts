/**
 * @file Elementwise kernels against naive element-by-element references on random shapes,
 * broadcast pairs, layouts and dtypes; PyTorch's dtype rules; in-place `out` writes and
 * their overlap errors. Unary, binary and in-place ops run on each kernel backend (on wasm,
 * exp, tanh, sigmoid, GELU, add, sub, mul and div of float32 arrays take the WebAssembly kernels).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { castScalar, type DType } from "../dtype.js";
import { array, full, zeros } from "../create.js";
import { broadcastShapes } from "../layout.js";
import type { NDArray } from "../ndarray.js";
import { broadcastableShapes, dtypes, LAYOUTS, ndarrays, shapes } from "../testing/arbitraries.js";
import { propertyConfig } from "../testing/config.js";
import { allIndices, at, broadcastIndex, logicalValues } from "../testing/reference.js";
import { expectValues } from "../test-helpers.js";
import * as K from "./map.js";
import { erf } from "./scalar.js";
import { KERNEL_BACKENDS, useKernelBackend } from "./backend-test-helpers.js";
import { cPow, mulInt32Ref, powInt32Ref } from "./map-test-helpers.js";

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const isFloat = (d: DType) => d === "float32" || d === "float64";

/** What a kernel stores for a double `v` in `dtype` (a typed array's own conversion). */
function store(v: number, dtype: DType): number {
  if (dtype === "bool") return v !== 0 ? 1 : 0;
  if (dtype === "int32") return v | 0;
  return dtype === "float32" ? Math.fround(v) : v;
}

type UnaryCase = { fn: (a: NDArray, out?: NDArray) => NDArray; ref: (x: number) => number; rule: "float" | "numeric" | "any" | "intOnBool" };

const UNARY: Record<string, UnaryCase> = {
  neg: { fn: K.neg, ref: (x) => -x, rule: "numeric" },
  abs: { fn: K.abs, ref: Math.abs, rule: "numeric" },
  exp: { fn: K.exp, ref: Math.exp, rule: "float" },
  log: { fn: K.log, ref: Math.log, rule: "float" },
  log1p: { fn: K.log1p, ref: Math.log1p, rule: "float" },
  sqrt: { fn: K.sqrt, ref: Math.sqrt, rule: "float" },
  rsqrt: { fn: K.rsqrt, ref: (x) => 1 / Math.sqrt(x), rule: "float" },
  sin: { fn: K.sin, ref: Math.sin, rule: "float" },
  cos: { fn: K.cos, ref: Math.cos, rule: "float" },
  tanh: { fn: K.tanh, ref: Math.tanh, rule: "float" },
  erf: { fn: K.erf, ref: erf, rule: "float" },
  sigmoid: { fn: K.sigmoid, ref: (x) => 1 / (1 + Math.exp(-x)), rule: "float" },
  relu: { fn: K.relu, ref: (x) => (x > 0 ? x : 0), rule: "numeric" },
  gelu: { fn: K.gelu, ref: (x) => (x / 2) * (1 + erf(x / Math.SQRT2)), rule: "float" },
  geluTanh: { fn: K.geluTanh, ref: (x) => (x / 2) * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), rule: "float" },
  sign: { fn: K.sign, ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), rule: "any" },
  square: { fn: K.square, ref: (x) => x * x, rule: "intOnBool" },
  reciprocal: { fn: K.reciprocal, ref: (x) => 1 / x, rule: "float" },
};

function unaryResultType(rule: UnaryCase["rule"], dtype: DType): DType | "error" {
  if (rule === "float") return isFloat(dtype) ? dtype : "float32";
  if (rule === "numeric") return dtype === "bool" ? "error" : dtype;
  if (rule === "intOnBool") return dtype === "bool" ? "int32" : dtype;
  return dtype;
}

const anyArray = ndarrays({ dtype: dtypes(), domain: { min: -4, max: 4 }, layouts: LAYOUTS });

describe.each(KERNEL_BACKENDS)("backend %s", (backend) => {
  useKernelBackend(backend);

  describe.each(Object.entries(UNARY))("%s", (name, { fn, ref, rule }) => {
    it("matches the naive reference on random shapes, layouts and dtypes", () => {
      fc.assert(
        fc.property(anyArray, (a) => {
          const dtype = unaryResultType(rule, a.dtype);
          if (dtype === "error") {
            expect(() => fn(a)).toThrow(new RegExp(`^${name}: not supported for bool`));
            return;
          }
          const got = fn(a);
          expect(got.dtype).toBe(dtype);
          expectValues(got, a.shape, logicalValues(a).map((x) => store(ref(store(x, dtype)), dtype)));
        }),
        propertyConfig(),
      );
    });
  });

  describe("unary special values", () => {
    it("follow PyTorch: relu keeps NaN, sign(NaN) = 0, sigmoid saturates without overflow", () => {
      const x = array([NaN, -0, 1e4, -1e4], { dtype: "float64" });
      expect(logicalValues(K.relu(x))).toEqual([NaN, -0, 1e4, 0]);
      expect(logicalValues(K.sign(x))).toEqual([0, 0, 1, -1]);
      expect(logicalValues(K.sigmoid(x)).slice(2)).toEqual([1, 0]);
      expect(logicalValues(K.logicalNot(x))).toEqual([0, 1, 0, 0]);
    });
  });
});

/** A binary operand: an array, or a JS scalar (an integer, a fraction or a boolean). */
const scalarArb = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -3, max: 3, noNaN: true }), fc.boolean());

/**
 * PyTorch's result_type, re-derived here: arrays with dims, then 0-d arrays, then JS scalars;
 * a lower tier counts only when its category (bool < int < float) is higher.
 */
function expectedType(...xs: (NDArray | number | boolean)[]): DType {
  const cat = (d: DType) => (isFloat(d) ? 2 : d === "int32" ? 1 : 0);
  const top = (ds: DType[]) => (ds.length ? ds.reduce((m, d) => (RANK[d] > RANK[m] ? d : m)) : null);
  const tiers = [
    top(xs.filter((x): x is NDArray => typeof x === "object" && x.ndim > 0).map((x) => x.dtype)),
    top(xs.filter((x): x is NDArray => typeof x === "object" && x.ndim === 0).map((x) => x.dtype)),
    top(xs.filter((x): x is number | boolean => typeof x !== "object")
      .map((x): DType => (typeof x === "boolean" ? "bool" : Number.isInteger(x) ? "int32" : "float32"))),
  ];
  let result: DType | null = null;
  for (const t of tiers) {
    if (t === null) continue;
    if (result === null) result = t;
    else if (cat(t) > cat(result)) result = top([result, t]);
  }
  return result ?? "float32";
}

type BinaryCase = {
  fn: (a: NDArray | number | boolean, b: NDArray | number | boolean, out?: NDArray) => NDArray;
  ref: (x: number, y: number) => number;
  kind: "arith" | "float" | "compare" | "logical";
  onBool?: "or" | "and" | "error";
  /** The reference in int32 arithmetic, where it differs from rounding the float64 result. */
  intRef?: (x: number, y: number) => number;
};

const BINARY: Record<string, BinaryCase> = {
  add: { fn: K.add, ref: (x, y) => x + y, kind: "arith", onBool: "or" },
  sub: { fn: K.sub, ref: (x, y) => x - y, kind: "arith", onBool: "error" },
  mul: { fn: K.mul, ref: (x, y) => x * y, kind: "arith", onBool: "and", intRef: mulInt32Ref },
  div: { fn: K.div, ref: (x, y) => x / y, kind: "float" },
  maximum: { fn: K.maximum, ref: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x > y ? x : y), kind: "arith", onBool: "or" },
  minimum: { fn: K.minimum, ref: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x < y ? x : y), kind: "arith", onBool: "and" },
  eq: { fn: K.eq, ref: (x, y) => Number(x === y), kind: "compare" },
  ne: { fn: K.ne, ref: (x, y) => Number(x !== y), kind: "compare" },
  lt: { fn: K.lt, ref: (x, y) => Number(x < y), kind: "compare" },
  le: { fn: K.le, ref: (x, y) => Number(x <= y), kind: "compare" },
  gt: { fn: K.gt, ref: (x, y) => Number(x > y), kind: "compare" },
  ge: { fn: K.ge, ref: (x, y) => Number(x >= y), kind: "compare" },
  logicalAnd: { fn: K.logicalAnd, ref: (x, y) => Number(x !== 0 && y !== 0), kind: "logical" },
  logicalOr: { fn: K.logicalOr, ref: (x, y) => Number(x !== 0 || y !== 0), kind: "logical" },
  logicalXor: { fn: K.logicalXor, ref: (x, y) => Number((x !== 0) !== (y !== 0)), kind: "logical" },
  pow: { fn: K.pow, ref: cPow, kind: "arith", onBool: "error", intRef: powInt32Ref },
};

/** Two operands of broadcastable shapes, any dtypes and layouts; sometimes one is a JS scalar. */
const operandPair = fc
  .tuple(broadcastableShapes(2), fc.integer({ min: 0, max: 3 }))
  .chain(([[sa, sb], scalarSide]) =>
    fc.tuple(
      scalarSide === 1 ? scalarArb : ndarrays({ shape: sa!, dtype: dtypes(), domain: { min: -3, max: 3 }, layouts: LAYOUTS }),
      scalarSide === 2 ? scalarArb : ndarrays({ shape: sb!, dtype: dtypes(), domain: { min: 0, max: 3 }, layouts: LAYOUTS }),
    ),
  );

function valuesAt(x: NDArray | number | boolean, index: number[]): number {
  return typeof x === "object" ? at(x, broadcastIndex(index, x.shape)) : Number(x);
}

const isBoolOperand = (x: NDArray | number | boolean) => typeof x === "boolean" || (typeof x === "object" && x.dtype === "bool");

describe.each(KERNEL_BACKENDS)("backend %s", (backend) => {
  useKernelBackend(backend);

  describe.each(Object.entries(BINARY))("%s", (name, { fn, ref, kind, onBool, intRef }) => {
    it("matches the naive reference with broadcasting, weak scalars and dtype promotion", () => {
      fc.assert(
        fc.property(operandPair, ([a, b]) => {
          const common = expectedType(a, b);
          const compute = kind === "float" && !isFloat(common) ? "float32" : common;
          const outType = kind === "compare" || kind === "logical" ? "bool" : compute;
          // PyTorch: sub rejects any bool operand, pow two bool operands.
          if ((common === "bool" && onBool === "error") || (name === "sub" && (isBoolOperand(a) || isBoolOperand(b)))) {
            expect(() => fn(a, b)).toThrow(TypeError);
            expect(() => fn(a, b)).toThrow(new RegExp(`^${name}: not supported for .*bool`));
            return;
          }
          if (name === "pow" && common === "int32" && typeof b === "number" && b < 0) {
            expect(() => fn(a, b)).toThrow(/^pow: integers to negative integer powers are not allowed/);
            return;
          }
          const got = fn(a, b);
          const shape = broadcastShapes([typeof a === "object" ? a.shape : [], typeof b === "object" ? b.shape : []], "t");
          expect(got.dtype).toBe(outType);
          const boolRule = common === "bool" && kind === "arith" ? onBool : undefined;
          const want = allIndices(shape).map((index) => {
            const raw = [valuesAt(a, index), valuesAt(b, index)] as const;
            const [x, y] = kind === "logical" ? raw : raw.map((v) => castScalar(v, compute));
            if (boolRule === "or") return Number(x !== 0 || y !== 0);
            if (boolRule === "and") return Number(x !== 0 && y !== 0);
            if (intRef && compute === "int32") return intRef(x!, y!);
            return store(ref(x!, y!), outType);
          });
          expectValues(got, shape, want);
        }),
        propertyConfig(),
      );
    });
  });
});

describe("binary errors", () => {
  it("name the op and both shapes when broadcasting fails", () => {
    expect(() => K.add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast together/);
    expect(() => K.mul(zeros([2]), zeros([3, 1, 4]))).toThrow(/mul: shapes \[2\] and \[3,1,4\]/);
  });

  it("reject two scalars and integer negative powers", () => {
    expect(() => K.add(1, 2)).toThrow(/add: at least one operand must be an array/);
    expect(() => K.pow(array([2], { dtype: "int32" }), -1)).toThrow(/pow: integers to negative integer powers/);
    expect(() => K.pow(array([true]), array([true]))).toThrow(/pow: not supported for bool/);
  });
});

describe("where, maskedFill and clamp", () => {
  it("where picks by a broadcast bool condition and promotes a and b", () => {
    fc.assert(
      fc.property(
        broadcastableShapes(3).chain(([sc, sa, sb]) =>
          fc.tuple(
            ndarrays({ shape: sc!, dtype: "bool", layouts: LAYOUTS }),
            ndarrays({ shape: sa!, dtype: dtypes(["int32", "float32", "float64"]), layouts: LAYOUTS }),
            fc.oneof(scalarArb, ndarrays({ shape: sb!, dtype: dtypes(), layouts: LAYOUTS })),
          ),
        ),
        ([c, a, b]) => {
          const got = K.where(c, a, b);
          const dtype = expectedType(a, b);
          const shape = broadcastShapes([c.shape, a.shape, typeof b === "object" ? b.shape : []], "t");
          expect(got.dtype).toBe(dtype);
          const want = allIndices(shape).map((i) => castScalar(valuesAt(c, i) ? valuesAt(a, i) : valuesAt(b, i), dtype));
          expectValues(got, shape, want);
        },
      ),
      propertyConfig(),
    );
    expect(() => K.where(zeros([2]), 1, 0)).toThrow(/where: condition must be a bool tensor, got float32/);
  });

  it("maskedFill keeps the input's dtype", () => {
    fc.assert(
      fc.property(
        broadcastableShapes(2).chain(([sa, sm]) =>
          fc.tuple(ndarrays({ shape: sa!, dtype: dtypes(["int32", "float32"]), layouts: LAYOUTS }), ndarrays({ shape: sm!, dtype: "bool", layouts: LAYOUTS }), scalarArb),
        ),
        ([a, mask, value]) => {
          const got = K.maskedFill(a, mask, value);
          const shape = broadcastShapes([a.shape, mask.shape], "t");
          expect(got.dtype).toBe(a.dtype);
          expectValues(got, shape, allIndices(shape).map((i) => (valuesAt(mask, i) ? castScalar(value, a.dtype) : valuesAt(a, i))));
        },
      ),
      propertyConfig(),
    );
  });

  it("clamp with scalar or array bounds equals min(max(x, lo), hi)", () => {
    fc.assert(
      fc.property(anyArray.filter((a) => a.dtype !== "bool"), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), fc.boolean(), (a, lo, hi, arrays) => {
        const dtype = expectedType(a, lo, hi);
        const got = arrays ? K.clamp(a, full([], lo, { dtype: "float64" }).astype(dtype), full([], hi).astype(dtype)) : K.clamp(a, lo, hi);
        expect(got.dtype).toBe(dtype);
        const l = castScalar(lo, dtype);
        const h = castScalar(hi, dtype);
        expectValues(got, a.shape, logicalValues(a).map((x) => Math.min(Math.max(castScalar(x, dtype), l), h)));
        expectValues(K.clamp(a, lo), a.shape, logicalValues(a).map((x) => store(Math.max(castScalar(x, dtype), l), dtype)));
        expectValues(K.clamp(a, null, hi), a.shape, logicalValues(a).map((x) => store(Math.min(castScalar(x, dtype), h), dtype)));
      }),
      propertyConfig(),
    );
    expect(() => K.clamp(zeros([2]))).toThrow(/clamp: at least one of min and max/);
  });
});

describe.each(KERNEL_BACKENDS)("backend %s", (backend) => {
  useKernelBackend(backend);

  describe("in-place writes through `out`", () => {
    it("write into any distinct-memory view and leave the rest of the storage alone", () => {
      fc.assert(
        fc.property(ndarrays({ shape: shapes({ minDims: 1 }) }), (a) => {
          const base = zeros([a.size * 2 + 3], { dtype: "float64" });
          const out = base.slice(0, 1, undefined, 2).narrow(0, 0, a.size).reshape(a.shape.slice());
          K.add(a, 1, out);
          expectValues(out, a.shape, logicalValues(a).map((x) => x + 1));
          expect(logicalValues(base.slice(0, 0, undefined, 2))).toEqual(new Array(Math.ceil((a.size * 2 + 3) / 2)).fill(0));
          K.fill(out, 2.5);
          expect(logicalValues(out).every((v) => v === 2.5)).toBe(true);
          K.copy(out, a);
          expectValues(out, a.shape, logicalValues(a));
        }),
        propertyConfig(),
      );
    });

    it("accumulate in place (a += b) when out is an input", () => {
      const a = array([[1, 2], [3, 4]], { dtype: "float64" });
      K.add(a, array([10, 20], { dtype: "float64" }), a);
      expect(a.tolist()).toEqual([[11, 22], [13, 24]]);
      const t = a.t();
      K.mul(t, 2, t);
      expect(a.tolist()).toEqual([[22, 44], [26, 48]]);
    });

    it("copy broadcasts and converts", () => {
      const out = zeros([2, 3], { dtype: "int32" });
      K.copy(out, array([1.9, -2.5, 3], { dtype: "float64" }));
      expect(out.tolist()).toEqual([[1, -2, 3], [1, -2, 3]]);
    });

    it("reject a wrong shape, a lossy dtype, an expanded output and partial overlap", () => {
      const a = zeros([2, 3]);
      expect(() => K.add(a, 1, zeros([3, 2]))).toThrow(/add: output shape \[3,2\] does not match the result shape \[2,3\]/);
      expect(() => K.add(a, 0.5, zeros([2, 3], { dtype: "int32" }))).toThrow(/add: result dtype float32 cannot be cast to the output dtype int32/);
      expect(() => K.neg(a, zeros([1, 3]).expand([2, 3]))).toThrow(/neg: more than one element of the output \[2,3\] refers to a single memory location/);
      const sq = zeros([3, 3]);
      expect(() => K.add(sq, sq.t(), sq)).toThrow(/add: an input partially overlaps the output/);
      expect(() => K.copy(sq.narrow(0, 1, 2), sq.narrow(0, 0, 2))).toThrow(/copy: an input partially overlaps the output/);
    });
  });
});
