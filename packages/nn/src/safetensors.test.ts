/**
 * @file safetensors in memory: round trips (every dtype written, 0-d, empty, non-contiguous
 * sources, metadata, awkward names), a byte-exact file built by hand, dtype conversion on read,
 * one rejection test per malformed-input rule, and fuzz properties: random headers and random
 * corruptions of valid files either parse to a well-formed state dict or throw SafetensorsError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, tensor } from "@typegrad/autograd";
import { DTYPES, type DType } from "@typegrad/tensor";
import { ndarrays, numRuns, propertyConfig, shapes } from "@typegrad/tensor/testing";
import { parseSafetensors, SafetensorsError, safetensorsMetadata, serializeSafetensors, type StateDict } from "./safetensors.js";

const utf8 = new TextEncoder();

/** A file built by hand: u64 little-endian header length, the header bytes as given, the data. */
function file(header: string | Uint8Array | object, data: ArrayLike<number> = [], declaredLength?: number | bigint): Uint8Array {
  const head = header instanceof Uint8Array ? header : utf8.encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

/** Little-endian bytes of values written with a DataView setter. */
function bytesOf<T>(size: number, values: readonly T[], set: (view: DataView, at: number, x: T) => void): number[] {
  const view = new DataView(new ArrayBuffer(size * values.length));
  values.forEach((x, i) => set(view, size * i, x));
  return [...new Uint8Array(view.buffer)];
}
const f32 = (...v: number[]) => bytesOf(4, v, (d, at, x) => d.setFloat32(at, x, true));
const u16 = (...v: number[]) => bytesOf(2, v, (d, at, x) => d.setUint16(at, x, true));
const i64 = (...v: bigint[]) => bytesOf(8, v, (d, at, x) => d.setBigInt64(at, x, true));

/**
 * Expects parsing (and, for a header problem, reading the metadata) to throw a SafetensorsError
 * whose message matches.
 */
function expectRejected(bytes: Uint8Array, message: RegExp, { inHeader = true } = {}): void {
  for (const read of inHeader ? [parseSafetensors, safetensorsMetadata] : [parseSafetensors]) {
    let error: unknown;
    try {
      read(bytes);
    } catch (e) {
      error = e;
    }
    expect(error, `${read.name} should throw`).toBeInstanceOf(SafetensorsError);
    expect((error as Error).message).toMatch(/^safetensors: /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.length).toBeLessThan(400);
  }
}

/** The header's JSON text and the data section of a serialized file (checks the framing). */
function split(bytes: Uint8Array): { json: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  expect((8 + n) % 8, "data starts 8-byte aligned").toBe(0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const json = text.replace(/ *$/, "");
  expect(text.length - json.length, "padding is 0..7 trailing spaces").toBeLessThan(8);
  expect(json.endsWith("}")).toBe(true);
  return { json, data: bytes.subarray(8 + n) };
}

function roundTrip(sd: StateDict, metadata?: Record<string, string>): StateDict {
  const bytes = serializeSafetensors(sd, metadata);
  split(bytes);
  return parseSafetensors(bytes);
}

/** Same names in the same order, and per tensor the same dtype, shape and values (exactly: -0 is not 0). */
function expectSameStateDict(got: StateDict, want: StateDict): void {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const name of Object.keys(want)) {
    const g = got[name]!;
    const w = want[name]!;
    expect(g).toBeInstanceOf(Tensor);
    expect(g.dtype, name).toBe(w.dtype);
    expect(g.shape, name).toEqual(w.shape);
    expect(Array.from(g.toArray()), name).toEqual(Array.from(w.toArray()));
    expect(g.requiresGrad).toBe(false);
  }
}

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

describe("rejects malformed files", () => {
  const ok = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const data8 = f32(1, 2);

  it("accepts the well-formed base case", () => {
    expect(parseSafetensors(file(ok, data8)).x!.tolist()).toEqual([1, 2]);
    expect(parseSafetensors(file("{}")).constructor).toBe(Object);
    expect(Object.keys(parseSafetensors(file("  {}      ")))).toEqual([]);
  });

  it("too short for the header length", () => {
    expectRejected(new Uint8Array(0), /file of 0 bytes is too short/);
    expectRejected(new Uint8Array(7), /file of 7 bytes is too short/);
  });

  it("header length past the end of the file or above the limit", () => {
    expectRejected(file(ok, data8, 100), /header length 100 runs past the end of the \d+-byte file/);
    expectRejected(file("{}", [], 3), /header length 3 runs past the end of the 10-byte file/);
    expectRejected(file("{}", [], 100_000_001), /header length 100000001 exceeds the 100000000-byte limit/);
    expectRejected(file("{}", [], 2n ** 64n - 1n), /header length 18446744073709551615 exceeds/);
    expectRejected(file("{}", [], 2n ** 53n + 1n), /header length 9007199254740993 exceeds/);
  });

  it("header that is not UTF-8 or not JSON", () => {
    expectRejected(file(Uint8Array.of(0x7b, 0xff, 0x7d)), /header is not valid UTF-8 JSON/);
    expectRejected(file(Uint8Array.of(0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d)), /not valid UTF-8/); // encoded surrogate
    expectRejected(file(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d)), /not valid UTF-8 JSON/); // byte-order mark
    for (const text of ["", "{", "{'a': 1}", "{}x", "nul"]) expectRejected(file(text), /header is not valid UTF-8 JSON/);
  });

  it("header that is not a JSON object", () => {
    for (const text of ["[]", "null", "1", '"x"', "true", "[{}]"]) {
      expectRejected(file(text), new RegExp(`header must be a JSON object, got ${text.replace(/[[\]{}]/g, "\\$&")}`));
    }
  });

  it("tensor entry that is not an object", () => {
    for (const v of [1, null, [], "F32"]) expectRejected(file({ x: v }), /tensor "x" must be an object \{ dtype, shape, data_offsets \}/);
  });

  it("names in messages are quoted with escapes and shortened", () => {
    expectRejected(file({ [`a"b\n${"x".repeat(500)}`]: 1 }), /^safetensors: tensor "a\\"b\\nxxx+\.\.\. must be an object/);
  });

  it("unknown dtype", () => {
    for (const dtype of ["F8", "f32", "toString", "constructor", "__proto__", "", 4, null, undefined]) {
      expectRejected(file({ x: { dtype, shape: [2], data_offsets: [0, 8] } }, data8), /tensor "x" has unsupported dtype .* \(supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL\)/);
    }
  });

  it("bad shape", () => {
    for (const shape of [undefined, null, 2, "2", [-1], [1.5], [null], ["2"], [2 ** 53], [[2]], { 0: 2 }]) {
      expectRejected(file({ x: { dtype: "F32", shape, data_offsets: [0, 8] } }, data8), /tensor "x" has an invalid shape/);
    }
    // an empty tensor whose other dims would overflow the strides
    expectRejected(file({ x: { dtype: "F32", shape: [0, 2 ** 52, 2 ** 52], data_offsets: [0, 0] } }), /tensor "x" has a shape \[0,4503599627370496,4503599627370496\] too large/);
  });

  it("bad shape nested too deep to print, or huge, still gets a short message", () => {
    const deep = `{"x":{"dtype":"F32","shape":${"[".repeat(100_000)}${"]".repeat(100_000)},"data_offsets":[0,0]}}`;
    expectRejected(file(deep), /tensor "x" has an invalid shape a deeply nested array/);
    const long = `{"x":{"dtype":"F32","shape":[${Array(100_000).fill(-1).join(",")}],"data_offsets":[0,0]}}`;
    expectRejected(file(long), /invalid shape \[-1,-1,.*\.\.\./);
  });

  it("bad data_offsets", () => {
    for (const offsets of [undefined, null, [0], [0, 8, 8], [-1, 7], [8, 0], [0, "8"], [0, 7.5], "0,8", [0, 2 ** 53]]) {
      expectRejected(file({ x: { dtype: "F32", shape: [2], data_offsets: offsets } }, data8), /tensor "x" has invalid data_offsets .* \(expected \[begin, end\] with 0 <= begin <= end\)/);
    }
  });

  it("size and shape that disagree", () => {
    expectRejected(file({ x: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, f32(1)), /tensor "x" of shape \[2\] F32 needs 8 bytes, but data_offsets \[0,4\] span 4/);
    expectRejected(file({ x: { dtype: "F64", shape: [2], data_offsets: [0, 8] } }, data8), /needs 16 bytes/);
    expectRejected(file({ x: { dtype: "I64", shape: [], data_offsets: [0, 4] } }, f32(1)), /tensor "x" of shape \[\] I64 needs 8 bytes/);
    expectRejected(file({ x: { dtype: "U8", shape: [0], data_offsets: [0, 1] } }, [1]), /needs 0 bytes/);
  });

  it("overlapping tensors", () => {
    const two = (a: [number, number], b: [number, number], n: number) =>
      file({ a: { dtype: "F32", shape: [2], data_offsets: a }, b: { dtype: "F32", shape: [2], data_offsets: b } }, new Array<number>(n).fill(0));
    expectRejected(two([0, 8], [4, 12], 12), /tensor "b" \(bytes 4\.\.12\) overlaps the previous tensor \(which ends at byte 8\)/);
    expectRejected(two([0, 8], [0, 8], 8), /overlaps the previous tensor/);
    // an empty tensor inside another one
    expectRejected(file({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, e: { dtype: "F32", shape: [0], data_offsets: [4, 4] } }, data8), /tensor "e" \(bytes 4\.\.4\) overlaps/);
  });

  it("gaps between tensors", () => {
    expectRejected(file({ x: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data8), /gap before tensor "x": bytes 0\.\.4 belong to no tensor/);
    expectRejected(
      file({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, f32(1, 2, 3)),
      /gap before tensor "b": bytes 4\.\.8/,
    );
    expectRejected(file({ e: { dtype: "F32", shape: [0], data_offsets: [8, 8] } }, data8), /gap before tensor "e": bytes 0\.\.8/);
  });

  it("trailing bytes after the last tensor", () => {
    expectRejected(file(ok, [...data8, 0, 0]), /2 trailing bytes after the last tensor \(data section of 10 bytes\)/);
    expectRejected(file("{}", [0]), /1 trailing bytes/);
  });

  it("data running past the end of the file", () => {
    expectRejected(file(ok, f32(1)), /tensor data runs to byte 8, but the data section has 4 bytes/);
    expectRejected(file(ok), /runs to byte 8, but the data section has 0 bytes/);
  });

  it("metadata that is not an object of strings", () => {
    for (const m of ["pt", 1, null, [], ["a"]]) expectRejected(file({ __metadata__: m }), /__metadata__ must be an object of strings/);
    for (const v of [1, null, true, { a: "b" }, ["x"]]) {
      expectRejected(file({ __metadata__: { format: "pt", bad: v } }), /__metadata__ value of "bad" must be a string/);
    }
  });

  it("input that is not a Uint8Array", () => {
    for (const v of [new ArrayBuffer(16), [0, 0, 0, 0, 0, 0, 0, 0], "safetensors", null]) {
      expectRejected(v as unknown as Uint8Array, /expected the file's bytes as a Uint8Array/);
    }
  });
});

describe("rejects what cannot be serialized", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["a number", () => serializeSafetensors({ x: 3 } as unknown as StateDict), /state dict entry "x" is not a Tensor \(got number\)/],
    ["an NDArray", () => serializeSafetensors({ x: tensor([1]).array } as unknown as StateDict), /"x" is not a Tensor \(got an object \(NDArray\)\)/],
    ["null", () => serializeSafetensors({ x: null } as unknown as StateDict), /"x" is not a Tensor \(got null\)/],
    ["a __metadata__ tensor", () => serializeSafetensors({ __metadata__: tensor([1]) }), /"__metadata__" cannot be a tensor name/],
    ["a Map", () => serializeSafetensors(new Map([["x", tensor([1])]]) as unknown as StateDict), /expected a state dict \(a plain object of tensors\), got an object \(Map\)/],
    ["an array", () => serializeSafetensors([tensor([1])] as unknown as StateDict), /got an array/],
    ["a non-string metadata value", () => serializeSafetensors({}, { n: 1 } as unknown as Record<string, string>), /metadata value of "n" must be a string, got 1/],
    ["metadata that is not an object", () => serializeSafetensors({}, "pt" as unknown as Record<string, string>), /metadata must be a plain object of strings, got string/],
  ];
  it.each(cases)("%s", (_, run, message) => {
    expect(run).toThrow(SafetensorsError);
    expect(run).toThrow(message);
  });
});

describe("fuzz: every input parses to a valid state dict or throws SafetensorsError", () => {
  /** Parses and checks the result's invariants; returns "ok" or "rejected", rethrows anything else. */
  function parseOrReject(bytes: Uint8Array): "ok" | "rejected" {
    let sd: StateDict;
    try {
      sd = parseSafetensors(bytes);
    } catch (e) {
      if (e instanceof SafetensorsError) return "rejected";
      throw e;
    }
    let total = 0;
    for (const t of Object.values(sd)) {
      expect(t).toBeInstanceOf(Tensor);
      expect(DTYPES).toContain(t.dtype);
      expect(t.shape.every((s) => Number.isSafeInteger(s) && s >= 0)).toBe(true);
      expect(t.toArray().length).toBe(t.shape.reduce((n, s) => n * s, 1));
      total += t.toArray().length;
    }
    expect(total).toBeLessThanOrEqual(bytes.length);
    return "ok";
  }

  const base = (() => {
    const sd: StateDict = {
      w: tensor([[1, 2, 3], [4, 5, 6]]),
      d: tensor([0.5, -1], { dtype: "float64" }),
      i: tensor([10, -20, 30], { dtype: "int32" }),
      m: tensor([true, false], { dtype: "bool" }),
      s: tensor(9),
      e: tensor(new Float32Array(0), { shape: [0, 2] }),
    };
    return serializeSafetensors(sd, { format: "pt" });
  })();
  const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
  const special = fc.constantFrom(...utf8.encode('0123456789[]{}",:-.e \\'), 0x00, 0x80, 0xff);

  it("random byte flips, insertions and truncations of a valid file", () => {
    // header bytes (often JSON syntax), data bytes (values change, the file stays valid), insertions, deletions
    const edit = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat({ max: headerEnd - 1 }), byte: fc.oneof(special, fc.integer({ min: 0, max: 255 })) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.integer({ min: headerEnd, max: base.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat({ max: base.length }), byte: special }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat({ max: base.length - 1 }), byte: fc.constant(0) }) },
    );
    const truncate = fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat({ max: base.length }) });
    const outcomes = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), truncate, (edits, cut) => {
        let bytes = Array.from(base);
        for (const { kind, at, byte } of edits) {
          const i = Math.min(at, bytes.length - (kind === "insert" ? 0 : 1));
          if (i < 0) continue;
          if (kind === "set") bytes[i] = byte;
          else if (kind === "insert") bytes.splice(i, 0, byte);
          else bytes.splice(i, 1);
        }
        if (cut !== undefined) bytes = bytes.slice(0, cut);
        outcomes[parseOrReject(Uint8Array.from(bytes))]++;
      }),
      propertyConfig(500),
    );
    if (numRuns(500) >= 100) expect(Math.min(outcomes.ok, outcomes.rejected)).toBeGreaterThan(0); // both paths exercised
  });

  it("random headers over random data", () => {
    const dtype = fc.oneof(fc.constantFrom("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"), fc.constantFrom("F8", "toString", 3, null));
    const num = fc.oneof(fc.nat({ max: 16 }), fc.constantFrom(-1, 0.5, 2 ** 53, 1e300, "4", null));
    const entry = fc.record({ dtype, shape: fc.oneof(fc.array(num, { maxLength: 3 }), fc.constantFrom(null, 3)), data_offsets: fc.oneof(fc.tuple(num, num), fc.array(num, { maxLength: 3 })) }, { requiredKeys: [] });
    const header = fc.dictionary(fc.constantFrom("a", "b", "c", "__metadata__", "__proto__"), fc.oneof(entry, fc.constant({ format: "pt" }), fc.constant(1)), { maxKeys: 4 });
    const outcomes = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 64 }), (h, data) => {
        outcomes[parseOrReject(file(h, data))]++;
      }),
      propertyConfig(500),
    );
    if (numRuns(500) >= 100) expect(Math.min(outcomes.ok, outcomes.rejected)).toBeGreaterThan(0);
  });

  it("random tilings: a valid layout parses; a tensor shifted by one byte is rejected (an empty one unless it lands on a boundary)", () => {
    const kind = fc.constantFrom(["F32", 4] as const, ["I8", 1] as const, ["F64", 8] as const, ["BF16", 2] as const);
    const tiling = fc.array(fc.tuple(kind, fc.nat({ max: 4 })), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(tiling, fc.nat(), fc.constantFrom(-1, 1), (parts, pick, delta) => {
        const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
        let at = 0;
        parts.forEach(([[code, size], n], k) => {
          header[`t${k}`] = { dtype: code, shape: [n], data_offsets: [at, at + n * size] };
          at += n * size;
        });
        expect(parseOrReject(file(header, new Uint8Array(at)))).toBe("ok");
        const victim = header[`t${pick % parts.length}`]!;
        const [b, e] = victim.data_offsets;
        if (b + delta < 0) return;
        // a shifted non-empty tensor leaves a gap or overlaps; an empty one may land on another boundary
        const boundaries = new Set([0, ...Object.values(header).map((t) => t.data_offsets[1])]);
        victim.data_offsets = [b + delta, e + delta]; // same length, shifted by one byte
        const valid = b === e && boundaries.has(b + delta) && b + delta <= at;
        expect(parseOrReject(file(header, new Uint8Array(at)))).toBe(valid ? "ok" : "rejected");
      }),
      propertyConfig(200),
    );
  });
});
