/**
 * @file Tests of dtype.ts and of `resultType` (kernels/elementwise.ts): promotion laws over
 * every pair and triple of dtypes, the weak-scalar rules against a table printed by PyTorch
 * 1.13 and a port of its `combine_categories`, castScalar against typed-array conversion,
 * and the named errors of checkDType and dtypeOfStorage.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array } from "./create.js";
import {
  castScalar,
  checkDType,
  DEFAULT_FLOAT,
  DTYPES,
  dtypeOfStorage,
  isFloating,
  promoteTypes,
  promoteWithScalar,
  scalarDType,
  type DType,
} from "./dtype.js";
import { resultType } from "./kernels/elementwise.js";
import { allocStorage } from "./storage.js";
import type { NDArray } from "./ndarray.js";
import { dtypes } from "./testing/arbitraries.js";
import { propertyConfig } from "./testing/config.js";

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/*
 * Printed by PyTorch 1.13 (/usr/bin/python3), int64 mapped to int32:
 *   for d in [bool, int32, float32, float64]:
 *     t = torch.tensor([1], dtype=d)
 *     for s in [True, False, 0, 3, -2, 0.5, -1.25, inf, nan]:
 *       torch.result_type(t, s)        # equal to torch.result_type(s, t) for every entry
 *   torch.result_type(torch.tensor([1], dtype=a), torch.tensor([1], dtype=b))
 *   torch.result_type(s1, s2); torch.tensor(s).dtype
 */
const TENSOR_SCALAR: Record<DType, [number | boolean, DType][]> = {
  bool: [[true, "bool"], [false, "bool"], [0, "int32"], [3, "int32"], [-2, "int32"], [0.5, "float32"], [-1.25, "float32"], [Infinity, "float32"], [NaN, "float32"]],
  int32: [[true, "int32"], [false, "int32"], [0, "int32"], [3, "int32"], [-2, "int32"], [0.5, "float32"], [-1.25, "float32"], [Infinity, "float32"], [NaN, "float32"]],
  float32: [[true, "float32"], [false, "float32"], [0, "float32"], [3, "float32"], [-2, "float32"], [0.5, "float32"], [-1.25, "float32"], [Infinity, "float32"], [NaN, "float32"]],
  float64: [[true, "float64"], [false, "float64"], [0, "float64"], [3, "float64"], [-2, "float64"], [0.5, "float64"], [-1.25, "float64"], [Infinity, "float64"], [NaN, "float64"]],
};

/** torch.result_type(tensor a, tensor b), rows and columns in DTYPES order. */
const TENSOR_TENSOR: Record<DType, DType[]> = {
  bool: ["bool", "int32", "float32", "float64"],
  int32: ["int32", "int32", "float32", "float64"],
  float32: ["float32", "float32", "float32", "float64"],
  float64: ["float64", "float64", "float64", "float64"],
};

/** torch.result_type(scalar, scalar). */
const SCALAR_SCALAR: [number | boolean, number | boolean, DType][] = [
  [true, true, "bool"], [true, 3, "int32"], [true, 0.5, "float32"],
  [3, true, "int32"], [3, 3, "int32"], [3, 0.5, "float32"],
  [0.5, true, "float32"], [0.5, 3, "float32"], [0.5, 0.5, "float32"],
];

/** torch.tensor(scalar).dtype. */
const SCALAR_ALONE: [number | boolean, DType][] = [
  [true, "bool"], [false, "bool"], [0, "int32"], [3, "int32"], [-2, "int32"], [0.5, "float32"], [-1.25, "float32"], [Infinity, "float32"], [NaN, "float32"],
];

/** A 1-d tensor of `dtype` (dimensioned, so never treated as a weak operand). */
function tensorOf(dtype: DType): NDArray {
  return array([1], { dtype });
}

/**
 * PyTorch's result_type for dimensioned tensors and Python scalars (c10 ScalarType.h /
 * TensorIterator's ResultTypeState): dimResult and wrappedResult are each promoted over
 * their operands (a wrapped float is the default float), then `combine_categories`.
 */
function torchResultType(operands: readonly (DType | number | boolean)[]): DType {
  let dimResult: DType | undefined;
  let wrappedResult: DType | undefined;
  for (const x of operands) {
    if (typeof x === "string") dimResult = dimResult ? promoteTypes(dimResult, x) : x;
    else {
      const t: DType = typeof x === "boolean" ? "bool" : Number.isInteger(x) ? "int32" : DEFAULT_FLOAT;
      wrappedResult = wrappedResult ? promoteTypes(wrappedResult, t) : t;
    }
  }
  // combine_categories(higher = dimResult, lower = wrappedResult)
  if (dimResult === undefined) return wrappedResult ?? DEFAULT_FLOAT;
  if (wrappedResult === undefined) return dimResult;
  if (isFloating(dimResult)) return dimResult;
  if (dimResult === "bool" || isFloating(wrappedResult)) return promoteTypes(dimResult, wrappedResult);
  return dimResult;
}

describe("promoteTypes", () => {
  it("matches torch.result_type of two tensors for every pair", () => {
    for (const a of DTYPES) DTYPES.forEach((b, j) => expect(promoteTypes(a, b), `${a}, ${b}`).toBe(TENSOR_TENSOR[a][j]));
  });

  it("is commutative and idempotent, and gives the larger of bool < int32 < float32 < float64", () => {
    for (const a of DTYPES) {
      expect(promoteTypes(a, a)).toBe(a);
      for (const b of DTYPES) {
        expect(promoteTypes(a, b)).toBe(promoteTypes(b, a));
        expect(RANK[promoteTypes(a, b)]).toBe(Math.max(RANK[a], RANK[b]));
      }
    }
  });

  it("is associative over every triple", () => {
    for (const a of DTYPES) {
      for (const b of DTYPES) {
        for (const c of DTYPES) expect(promoteTypes(promoteTypes(a, b), c), `${a}, ${b}, ${c}`).toBe(promoteTypes(a, promoteTypes(b, c)));
      }
    }
  });

  it("lists DTYPES in promotion order, with float32 the default float", () => {
    expect(DTYPES.map((d) => RANK[d])).toEqual([0, 1, 2, 3]);
    expect(DEFAULT_FLOAT).toBe("float32");
    expect(DTYPES.filter(isFloating)).toEqual(["float32", "float64"]);
  });
});

describe("weak JS scalars (PyTorch 1.13 table)", () => {
  for (const dtype of DTYPES) {
    it.each(TENSOR_SCALAR[dtype])(`${dtype} tensor with scalar %s gives %s`, (scalar, want) => {
      expect(promoteWithScalar(dtype, scalar)).toBe(want);
      expect(resultType([tensorOf(dtype), scalar])).toBe(want);
      expect(resultType([scalar, tensorOf(dtype)])).toBe(want);
    });
  }

  it("resultType of two tensors is promoteTypes", () => {
    for (const a of DTYPES) DTYPES.forEach((b, j) => expect(resultType([tensorOf(a), tensorOf(b)])).toBe(TENSOR_TENSOR[a][j]));
  });

  it.each(SCALAR_SCALAR)("resultType of scalars %s and %s is %s", (a, b, want) => {
    expect(resultType([a, b])).toBe(want);
  });

  it.each(SCALAR_ALONE)("scalarDType(%s) is torch.tensor(s).dtype = %s", (scalar, want) => {
    expect(scalarDType(scalar)).toBe(want);
    expect(resultType([scalar])).toBe(want);
  });

  it("a scalar never changes a tensor's dtype within its category", () => {
    fc.assert(
      fc.property(dtypes(), fc.oneof(fc.double(), fc.integer(), fc.boolean()), (dtype, scalar) => {
        const got = promoteWithScalar(dtype, scalar);
        expect(RANK[got]).toBeGreaterThanOrEqual(RANK[dtype]);
        if (isFloating(dtype) || typeof scalar === "boolean" || (dtype === "int32" && Number.isInteger(scalar))) expect(got).toBe(dtype);
      }),
      propertyConfig(),
    );
  });

  it("resultType of any mix of tensors and scalars follows PyTorch's combine_categories", () => {
    const operand = fc.oneof(dtypes(), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.double({ min: -5, max: 5, noInteger: true }));
    fc.assert(
      fc.property(fc.array(operand, { minLength: 1, maxLength: 5 }), (ops) => {
        const args = ops.map((x) => (typeof x === "string" ? tensorOf(x) : x));
        expect(resultType(args)).toBe(torchResultType(ops));
        const tensors = ops.filter((x): x is DType => typeof x === "string");
        const scalars = ops.filter((x): x is number | boolean => typeof x !== "string");
        if (tensors.length === 1 && scalars.length === 1) expect(promoteWithScalar(tensors[0]!, scalars[0]!)).toBe(torchResultType(ops));
      }),
      propertyConfig(),
    );
  });
});

describe("castScalar", () => {
  const anyDouble = fc.oneof(fc.double(), fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 0.5, -0.5, 2 ** 31, -(2 ** 31) - 1));

  it("to bool: nonzero and NaN give 1, zero and -0 give 0", () => {
    fc.assert(
      fc.property(anyDouble, (x) => {
        expect(castScalar(x, "bool")).toBe(x === 0 ? 0 : 1);
      }),
      propertyConfig(),
    );
    expect([castScalar(NaN, "bool"), castScalar(-0, "bool"), castScalar(1e-300, "bool")]).toEqual([1, 0, 1]);
  });

  it("to int32: truncates toward zero within range, and converts like Int32Array outside it", () => {
    fc.assert(
      fc.property(fc.double({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1, noNaN: true }), (x) => {
        expect(castScalar(x, "int32") === Math.trunc(x)).toBe(true);
      }),
      propertyConfig(),
    );
    fc.assert(
      fc.property(anyDouble, (x) => {
        expect(castScalar(x, "int32")).toBe(Int32Array.of(x)[0]);
      }),
      propertyConfig(),
    );
    expect([castScalar(2.9, "int32"), castScalar(-2.9, "int32")]).toEqual([2, -2]);
  });

  it("to float32: rounds like Math.fround and a Float32Array store", () => {
    fc.assert(
      fc.property(anyDouble, (x) => {
        const got = castScalar(x, "float32");
        expect(got).toBe(Math.fround(x));
        expect(got).toBe(Float32Array.of(x)[0]);
      }),
      propertyConfig(),
    );
  });

  it("to float64: keeps the value, -0 and NaN included", () => {
    fc.assert(
      fc.property(anyDouble, (x) => {
        expect(castScalar(x, "float64")).toBe(x);
      }),
      propertyConfig(),
    );
  });

  it.each(DTYPES)("booleans become 1 and 0 in %s", (dtype) => {
    expect([castScalar(true, dtype), castScalar(false, dtype)]).toEqual([1, 0]);
  });

  it.each(DTYPES)("agrees with what %s storage holds after a store", (dtype) => {
    fc.assert(
      fc.property(anyDouble, (x) => {
        const storage = allocStorage(dtype, 1);
        storage[0] = castScalar(x, dtype);
        expect(storage[0]).toBe(castScalar(x, dtype));
      }),
      propertyConfig(),
    );
  });
});

describe("storage and dtype checks", () => {
  const ctors = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

  it.each(DTYPES)("allocStorage(%s) gives zeroed storage of the right type, and dtypeOfStorage reads it back", (dtype) => {
    const s = allocStorage(dtype, 5);
    expect(s).toBeInstanceOf(ctors[dtype]);
    expect(Array.from(s)).toEqual([0, 0, 0, 0, 0]);
    expect(dtypeOfStorage(s, "test")).toBe(dtype);
    expect(checkDType(dtype, "test")).toBe(dtype);
  });

  it("storage of 65 bytes to 8 KiB: zeroed, aligned, disjoint views of shared buffers; smaller and larger own theirs", () => {
    const small = DTYPES.flatMap((dtype) => [100, 300, 1000].map((n) => allocStorage(dtype, n)));
    for (const s of small) {
      expect(Array.from(s).every((v) => v === 0)).toBe(true);
      expect(s.byteOffset % 8).toBe(0);
      s.fill(1);
    }
    const shared = small.filter((s) => s.buffer === small[0]!.buffer);
    expect(shared.length).toBeGreaterThan(1);
    const ranges = small.map((s) => [s.buffer, s.byteOffset, s.byteOffset + s.byteLength] as const);
    for (const [i, a] of ranges.entries()) {
      for (const b of ranges.slice(i + 1)) expect(a[0] !== b[0] || a[2] <= b[1] || b[2] <= a[1]).toBe(true);
    }
    for (const own of [allocStorage("float32", 16), allocStorage("float64", 1), allocStorage("float32", 4096)]) {
      expect(own.byteOffset).toBe(0);
      expect(own.buffer.byteLength).toBe(own.byteLength);
    }
  });

  it("dtypeOfStorage rejects other arrays, naming the op", () => {
    expect(() => dtypeOfStorage(new Int16Array(2), "myOp")).toThrow(/myOp: data must be a Float32Array, Float64Array, Int32Array or Uint8Array/);
    expect(() => dtypeOfStorage([1, 2], "myOp")).toThrow(TypeError);
    expect(() => dtypeOfStorage(new Uint8ClampedArray(2), "myOp")).toThrow(/myOp: data must be/);
  });

  it.each([["float16"], ["int64"], ["Float32"], [5], [null], [{}]])("checkDType rejects %j, naming the op and the value", (value) => {
    expect(() => checkDType(value, "myOp")).toThrow(TypeError);
    expect(() => checkDType(value, "myOp")).toThrow(new RegExp(`myOp: unknown dtype ${escape(JSON.stringify(value))} \\(expected one of bool, int32, float32, float64\\)`));
  });

  it("checkDType rejects undefined", () => {
    expect(() => checkDType(undefined, "myOp")).toThrow(/myOp: unknown dtype undefined/);
  });

  it("isFloating is true exactly for float32 and float64", () => {
    expect(DTYPES.map(isFloating)).toEqual([false, false, true, true]);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
