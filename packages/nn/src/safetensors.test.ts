/**
 * @file safetensors in memory: round trips (every dtype written, 0-d, empty, non-contiguous
 * sources, metadata, awkward names), a byte-exact file built by hand and dtype conversion on
 * read. Malformed input: safetensors-rejects.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, tensor } from "@typegrad/autograd";
import { DTYPES, type DType } from "@typegrad/tensor";
import { ndarrays, propertyConfig, shapes } from "@typegrad/tensor/testing";
import { parseSafetensors, safetensorsMetadata, serializeSafetensors, type StateDict } from "./safetensors.js";
import { expectRejected, expectSameStateDict, f32, file, i64, roundTrip, split, u16, utf8 } from "./safetensors-test-helpers.js";

describe("serialize then parse", () => {
  it("round-trips every dtype typegrad writes", () => {
    const sd: StateDict = {
      "layer.weight": tensor([[1.5, -2, 3.25], [0.1, 1e-30, -3e38]]),
      "layer.bias": tensor([Math.PI, -Math.E, 1e-300, 5e-324], { dtype: "float64" }),
      "embedding.indices": tensor([0, -1, 2147483647, -2147483648], { dtype: "int32" }),
      "mask": tensor([[true, false], [false, true]], { dtype: "bool" }),
    };
    expectSameStateDict(roundTrip(sd), sd);
  });

  it("keeps -0, infinities and NaN", () => {
    const sd = { x: tensor([-0, Infinity, -Infinity, NaN], { dtype: "float64" }), y: tensor([-0, NaN, Infinity]) };
    const back = roundTrip(sd);
    expect(Object.is(back.x!.toArray()[0], -0)).toBe(true);
    expect(Array.from(back.x!.toArray())).toEqual([-0, Infinity, -Infinity, NaN]);
    expect(Array.from(back.y!.toArray())).toEqual([-0, NaN, Infinity]);
  });

  it("round-trips 0-d and empty tensors", () => {
    const sd: StateDict = {
      scalar: tensor(2.5),
      intScalar: tensor(-7, { dtype: "int32" }),
      boolScalar: tensor(true, { dtype: "bool" }),
      empty: tensor(new Float32Array(0), { shape: [0] }),
      emptyMiddle: tensor(new Float64Array(0), { shape: [2, 0, 3] }),
      emptyBool: tensor(new Uint8Array(0), { shape: [0, 4] }),
    };
    const back = roundTrip(sd);
    expectSameStateDict(back, sd);
    expect(back.scalar!.item()).toBe(2.5);
    expect(back.boolScalar!.tolist()).toBe(true);
    const { json } = split(serializeSafetensors(sd));
    expect(JSON.parse(json).scalar).toEqual({ dtype: "F32", shape: [], data_offsets: [0, 4] });
    expect(JSON.parse(json).empty).toEqual({ dtype: "F32", shape: [0], data_offsets: [9, 9] }); // after 4 + 4 + 1 bytes
  });

  it("writes non-contiguous tensors contiguously, in row-major order", () => {
    const base = tensor(Float32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
    const views: StateDict = {
      transposed: base.transpose(0, 2),
      permuted: base.permute([1, 2, 0]),
      stepped: base.slice(2, 0, 4, 3),
      narrowed: base.narrow(0, 1, 1), // contiguous, at a storage offset
      selected: base.select(0, 1),
      expanded: tensor([1, 2, 3], { dtype: "int32" }).expand([2, 3]),
    };
    const bytes = serializeSafetensors(views);
    const back = parseSafetensors(bytes);
    for (const [name, v] of Object.entries(views)) {
      expect(back[name]!.tolist(), name).toEqual(v.tolist());
      expect(back[name]!.array.isContiguous()).toBe(true);
    }
    const { json, data } = split(bytes);
    const [begin, end] = JSON.parse(json).transposed.data_offsets as [number, number];
    const written = new Float32Array(data.slice(begin, end).buffer);
    expect(Array.from(written)).toEqual((views.transposed!.tolist() as number[][][]).flat(2));
    // 96 + 96 + 48 (stepped [2,3,2]) + 48 (narrowed [1,3,4]) + 48 (selected [3,4]) bytes before it
    expect(JSON.parse(json).expanded).toEqual({ dtype: "I32", shape: [2, 3], data_offsets: [336, 360] });
    expect(data.length).toBe(360);
  });

  it("round-trips metadata and reads it alone", () => {
    const sd = { w: tensor([1, 2]) };
    const metadata = { format: "pt", "a key with spaces": "ünïcødé ✓ \"quoted\"\n", empty: "" };
    const bytes = serializeSafetensors(sd, metadata);
    expect(safetensorsMetadata(bytes)).toEqual(metadata);
    expectSameStateDict(parseSafetensors(bytes), sd);
    expect(safetensorsMetadata(serializeSafetensors(sd))).toEqual({});
    expect(JSON.parse(split(serializeSafetensors(sd)).json)).not.toHaveProperty("__metadata__");
    expect(safetensorsMetadata(serializeSafetensors(sd, {}))).toEqual({});
  });

  it("keeps names that are special in JavaScript objects", () => {
    const sd = Object.fromEntries(["__proto__", "constructor", "toString", "", "0", "a.b.0.c", "名前"].map((k, i) => [k, tensor([i])]));
    const back = roundTrip(sd);
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(back["__proto__"]!.tolist()).toEqual([0]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    const metadata = Object.fromEntries([["__proto__", "p"], ["constructor", "c"]]);
    expect(safetensorsMetadata(serializeSafetensors({}, metadata))).toEqual(metadata);
  });

  it("writes parameters as plain tensors and reads fresh copies", () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    const bytes = serializeSafetensors({ p });
    const back = parseSafetensors(bytes);
    expect(back.p!.requiresGrad).toBe(false);
    bytes.fill(0);
    expect(back.p!.tolist()).toEqual([1, 2, 3]);
  });

  it("reads a file that sits at an odd offset inside a larger buffer (a Node Buffer slice)", () => {
    const bytes = serializeSafetensors({ a: tensor([1.5, -2.5], { dtype: "float64" }), b: tensor([7], { dtype: "int32" }) });
    const big = new Uint8Array(bytes.length + 11);
    big.set(bytes, 3);
    expectSameStateDict(parseSafetensors(big.subarray(3, 3 + bytes.length)), parseSafetensors(bytes));
  });

  it("round-trips an empty state dict", () => {
    const bytes = serializeSafetensors({});
    expect(bytes.length).toBe(16);
    expect(split(bytes).json).toBe("{}");
    expect(parseSafetensors(bytes)).toEqual({});
  });

  it("round-trips random state dicts (names, dtypes, shapes, layouts, metadata)", () => {
    const name = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "0", "weight"))
      .filter((k) => k !== "__metadata__");
    const entry = fc.tuple(name, ndarrays({
      shape: shapes({ minDims: 0, maxDims: 3, minSize: 0, maxSize: 3 }),
      dtype: fc.constantFrom<DType>(...DTYPES),
      domain: { min: -1e6, max: 1e6 },
    }));
    const metadata = fc.option(fc.array(fc.tuple(fc.string({ unit: "binary", maxLength: 8 }), fc.string({ unit: "binary", maxLength: 8 })), { maxLength: 3 }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), metadata, (entries, meta) => {
        const sd: StateDict = Object.fromEntries(entries.map(([k, a]) => [k, new Tensor(a)]));
        const md = meta === undefined ? undefined : Object.fromEntries(meta);
        const bytes = serializeSafetensors(sd, md);
        expectSameStateDict(parseSafetensors(bytes), sd);
        expect(safetensorsMetadata(bytes)).toEqual(md ?? {});
        const { data } = split(bytes);
        const total = Object.values(sd).reduce((n, t) => n + t.array.size * t.array.data.BYTES_PER_ELEMENT, 0);
        expect(data.length).toBe(total);
      }),
      propertyConfig(50),
    );
  });
});

describe("exact bytes", () => {
  it("matches a file built by hand", () => {
    const header =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]},"c":{"dtype":"BOOL","shape":[3],"data_offsets":[12,15]},' +
      '"d":{"dtype":"F64","shape":[1],"data_offsets":[15,23]}}';
    expect(header.length).toBe(249); // + 7 spaces = 256 = 0x100
    const expected = [
      0x00, 0x01, 0, 0, 0, 0, 0, 0,
      ...utf8.encode(header), 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
      0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, // a: 1, -2 (F32)
      0x07, 0x00, 0x00, 0x00, // b: 7 (I32)
      0x01, 0x00, 0x01, // c: true, false, true
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, // d: 0.5 (F64)
    ];
    const sd: StateDict = {
      a: tensor([1, -2]),
      b: tensor(7, { dtype: "int32" }),
      c: tensor([true, false, true], { dtype: "bool" }),
      d: tensor([0.5], { dtype: "float64" }),
    };
    expect(Array.from(serializeSafetensors(sd, { format: "pt" }))).toEqual(expected);
    expectSameStateDict(parseSafetensors(Uint8Array.from(expected)), sd);
  });
});

describe("dtype conversion on read", () => {
  const one = (code: string, shape: number[], data: number[]) =>
    parseSafetensors(file({ x: { dtype: code, shape, data_offsets: [0, data.length] } }, data)).x!;

  it("reads F16 as float32 (normal, subnormal, signed zero, infinities, NaN)", () => {
    const x = one("F16", [8], u16(0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000, 0xfc00, 0x7e00));
    expect(x.dtype).toBe("float32");
    expect(Array.from(x.toArray())).toEqual([1, -2, 0.333251953125, 65504, 2 ** -24, -0, -Infinity, NaN]);
  });

  it("reads BF16 as float32", () => {
    const x = one("BF16", [2, 3], u16(0x3f80, 0xc040, 0x7f80, 0x0001, 0x8000, 0x7fc0));
    expect(x.dtype).toBe("float32");
    expect(x.shape).toEqual([2, 3]);
    expect(Array.from(x.toArray())).toEqual([1, -3, Infinity, 2 ** -133, -0, NaN]);
  });

  it("reads I64 within int32 range as int32 and rejects the rest", () => {
    const x = one("I64", [4], i64(0n, -1n, 2147483647n, -2147483648n));
    expect(x.dtype).toBe("int32");
    expect(x.tolist()).toEqual([0, -1, 2147483647, -2147483648]);
    for (const v of [2147483648n, -2147483649n, 2n ** 62n, -(2n ** 63n)]) {
      expectRejected(file({ x: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, i64(1n, v)), new RegExp(`I64 value ${v} at element 1 does not fit in int32`), { inHeader: false });
    }
  });

  it("reads I16, I8 and U8 as int32 and BOOL as bool", () => {
    expect(one("I16", [3], u16(0x7fff, 0x8000, 0xffff)).tolist()).toEqual([32767, -32768, -1]);
    const i8 = one("I8", [3], [0x7f, 0x80, 0xff]);
    expect(i8.dtype).toBe("int32");
    expect(i8.tolist()).toEqual([127, -128, -1]);
    expect(one("U8", [3], [0, 128, 255]).tolist()).toEqual([0, 128, 255]);
    const b = one("BOOL", [2, 2], [0, 1, 2, 255]);
    expect(b.dtype).toBe("bool");
    expect(b.tolist()).toEqual([[false, true], [true, true]]);
    expect(Array.from(b.toArray())).toEqual([0, 1, 1, 1]);
  });

  it("reads F64, F32 and I32 unchanged", () => {
    const d = one("F64", [1], [...new Uint8Array(Float64Array.of(0.1).buffer)]);
    expect(d.dtype).toBe("float64");
    expect(d.tolist()).toEqual([0.1]);
    expect(one("F32", [], f32(0.1)).item()).toBe(Math.fround(0.1));
    expect(one("I32", [1], [0xff, 0xff, 0xff, 0x7f]).tolist()).toEqual([2147483647]);
  });
});
