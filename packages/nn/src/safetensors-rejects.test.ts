/**
 * @file safetensors' validation: one rejection test per malformed-input rule, what cannot be
 * serialized, and fuzz properties: random headers and random corruptions of valid files either
 * parse to a well-formed state dict or throw SafetensorsError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, tensor } from "@typegrad/autograd";
import { DTYPES } from "@typegrad/tensor";
import { numRuns, propertyConfig } from "@typegrad/tensor/testing";
import { parseSafetensors, SafetensorsError, serializeSafetensors, type StateDict } from "./safetensors.js";
import { expectRejected, f32, file, utf8 } from "./safetensors-test-helpers.js";

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
