/**
 * @file The generator's stream: raw draws and float conversions against an independent BigInt
 * xoshiro128** + SplitMix32, reproducibility under manualSeed, and getRngState/setRngState.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array } from "./create.js";
import type { DType } from "./dtype.js";
import type { NDArray } from "./ndarray.js";
import {
  bernoulli,
  getRngState,
  manualSeed,
  nextUint32,
  rand,
  randint,
  randn,
  randperm,
  setRngState,
  type RngState,
} from "./random.js";
import { expectValues } from "./test-helpers.js";
import { propertyConfig } from "./testing/config.js";
// Captured at import, before any test draws: the state of the default seed.
const initialState = getRngState();
const DEFAULT_SEED = 67280421310721;

// ---------------------------------------------------------------------------------------------
// Reference generator, written from the published algorithms with BigInt arithmetic (no
// Math.imul, no >>> tricks): xoshiro128** (Blackman & Vigna, xoshiro128starstar.c) and the
// seeding documented in random.ts: seed = hi * 2^32 + lo (floor division, words mod 2^32); a
// SplitMix32 counter x starts at lo; each of the four state words is x += golden gamma, then
// murmur3's fmix32 of x; hi is added to x after the first word.
// ---------------------------------------------------------------------------------------------
const MASK = 0xffffffffn;
const mul32 = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const rotl32 = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & MASK;

function fmix32(x: bigint): bigint {
  let z = x;
  z = mul32(z ^ (z >> 16n), 0x85ebca6bn);
  z = mul32(z ^ (z >> 13n), 0xc2b2ae35n);
  return z ^ (z >> 16n);
}

function referenceSeedState(seed: number): bigint[] {
  const s = BigInt(seed);
  const lo = s & MASK;
  const hi = (s >> 32n) & MASK; // floor division, two's complement for negative seeds
  let x = lo;
  const words: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & MASK;
    words.push(fmix32(x));
    if (i === 0) x = (x + hi) & MASK;
  }
  if (words.every((w): boolean => w === 0n)) words[0] = 1n;
  return words;
}

class ReferenceXoshiro128ss {
  private s: bigint[];
  constructor(state: readonly bigint[]) {
    this.s = state.slice();
  }
  next(): number {
    const s = this.s;
    const result = mul32(rotl32(mul32(s[1]!, 5n), 7n), 9n);
    const t = (s[1]! << 9n) & MASK;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl32(s[3]!, 11n);
    return Number(result);
  }
  state(): number[] {
    return this.s.map(Number);
  }
}

function draws(count: number): number[] {
  return Array.from({ length: count }, () => nextUint32());
}

/** The elements of a freshly drawn (contiguous) array. */
function values(a: NDArray): number[] {
  return Array.from(a.toArray());
}





const FLOATS: readonly DType[] = ["float32", "float64"];

describe("generator vs the reference xoshiro128** + SplitMix32", () => {
  const seeds = [0, 1, 42, -1, 2 ** 32 + 12345, 2 ** 53 - 1, -(2 ** 40) - 7, DEFAULT_SEED];

  it.each(seeds)("manualSeed(%s) gives the reference state and raw draws", (seed) => {
    manualSeed(seed);
    expect(getRngState().state).toEqual(referenceSeedState(seed).map(Number));
    const ref = new ReferenceXoshiro128ss(referenceSeedState(seed));
    const want = Array.from({ length: 16 }, () => ref.next());
    expect(draws(16)).toEqual(want);
  });

  it("the default state is that of seed 67280421310721", () => {
    expect(initialState).toEqual({ algorithm: "xoshiro128**", state: referenceSeedState(DEFAULT_SEED).map(Number) });
  });

  it("matches the reference for any safe-integer seed", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (seed) => {
        manualSeed(seed);
        const ref = new ReferenceXoshiro128ss(referenceSeedState(seed));
        expect(draws(8)).toEqual(Array.from({ length: 8 }, () => ref.next()));
      }),
      propertyConfig(),
    );
  });

  it("distinct seeds give distinct streams: 2^32, 0x9e3779b9 and 0 (which folded to one 32-bit seed before)", () => {
    const streams = [2 ** 32, 0x9e3779b9, 0, 2 ** 32 + 0x9e3779b9, -(2 ** 32)].map((seed) => {
      manualSeed(seed);
      return draws(4).join(",");
    });
    expect(new Set(streams).size).toBe(streams.length);
  });

  it("distinct safe-integer seeds give distinct states, seeds that differ only above bit 32 included", () => {
    const seedPairs = fc.oneof(
      fc.tuple(fc.maxSafeInteger(), fc.maxSafeInteger()),
      // Same low word, different high words.
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -(2 ** 20), max: 2 ** 20 - 1 }), fc.integer({ min: -(2 ** 20), max: 2 ** 20 - 1 }))
        .map(([lo, h1, h2]) => [h1 * 2 ** 32 + lo, h2 * 2 ** 32 + lo] as [number, number]),
    );
    fc.assert(
      fc.property(seedPairs, ([s1, s2]) => {
        fc.pre(s1 !== s2);
        manualSeed(s1);
        const st1 = getRngState().state;
        manualSeed(s2);
        expect(getRngState().state).not.toEqual(st1);
      }),
      propertyConfig(),
    );
  });

  it("matches the reference from any nonzero state set with setRngState", () => {
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.tuple(word, word, word, word), (words) => {
        fc.pre(words.some((w) => w !== 0));
        setRngState({ algorithm: "xoshiro128**", state: words });
        const ref = new ReferenceXoshiro128ss(words.map(BigInt));
        expect(draws(8)).toEqual(Array.from({ length: 8 }, () => ref.next()));
        expect(getRngState().state).toEqual(ref.state());
      }),
      propertyConfig(),
    );
  });

  it("float32 rand uses the top 24 bits of one draw; float64 rand 27 + 26 bits of two draws", () => {
    manualSeed(2024);
    const ref32 = new ReferenceXoshiro128ss(referenceSeedState(2024));
    expectValues(rand([50]), [50], Array.from({ length: 50 }, () => (ref32.next() >>> 8) / 2 ** 24), { atol: 0, rtol: 0 });
    manualSeed(2024);
    const ref64 = new ReferenceXoshiro128ss(referenceSeedState(2024));
    const want64 = Array.from({ length: 50 }, () => {
      const hi = ref64.next() >>> 5;
      const lo = ref64.next() >>> 6;
      return (hi * 2 ** 26 + lo) / 2 ** 53;
    });
    expectValues(rand([50], { dtype: "float64" }), [50], want64, { atol: 0, rtol: 0 });
  });

  it("distinct seeds below 2^32 give distinct states and streams", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (a, b) => {
        fc.pre(a !== b);
        manualSeed(a);
        const sa = getRngState().state;
        const da = draws(4);
        manualSeed(b);
        expect(getRngState().state).not.toEqual(sa);
        expect(draws(4)).not.toEqual(da);
      }),
      propertyConfig(),
    );
  });
});

describe("reproducibility", () => {
  const generators: [string, (dtype: DType) => NDArray][] = [
    ["rand", (dtype) => rand([3, 17], { dtype })],
    ["randn", (dtype) => randn([5, 7], { dtype })],
    ["randint", (dtype) => randint(-5, 100, [2, 9], { dtype: dtype === "float64" ? "float64" : "int32" })],
    ["bernoulli(p)", (dtype) => bernoulli(0.3, [64], { dtype })],
    ["bernoulli(probs)", (dtype) => bernoulli(array(Float64Array.from({ length: 64 }, (_, i) => (i % 9) / 8), { dtype }))],
    ["randperm", (dtype) => randperm(40, { dtype: dtype === "float64" ? "float64" : "int32" })],
  ];

  for (const [name, make] of generators) {
    for (const dtype of FLOATS) {
      it(`${name} (${dtype}): the same seed gives an identical array`, () => {
        manualSeed(1234);
        const a = make(dtype);
        manualSeed(1234);
        const b = make(dtype);
        expect(b.dtype).toBe(a.dtype);
        expectValues(b, a.shape, values(a), { atol: 0, rtol: 0 });
      });
    }
    it(`${name}: different seeds give different arrays`, () => {
      manualSeed(1);
      const a = values(make("float32"));
      manualSeed(2);
      expect(values(make("float32"))).not.toEqual(a);
    });
  }

  it("an array drawn in one call equals the same draws split over two calls", () => {
    manualSeed(99);
    const whole = values(rand([10], { dtype: "float64" }));
    manualSeed(99);
    const parts = [...values(rand([4], { dtype: "float64" })), ...values(rand([6], { dtype: "float64" }))];
    expect(parts).toEqual(whole);
  });
});

describe("getRngState / setRngState", () => {
  it("restoring a saved state repeats the draws that followed it", () => {
    manualSeed(7);
    rand([5]);
    const saved = getRngState();
    const a = [values(randn([7], { dtype: "float64" })), values(randint(0, 1000, [9])), values(randperm(12)), draws(3)];
    setRngState(saved);
    const b = [values(randn([7], { dtype: "float64" })), values(randint(0, 1000, [9])), values(randperm(12)), draws(3)];
    expect(b).toEqual(a);
  });

  it("a state survives a JSON round trip", () => {
    manualSeed(8);
    nextUint32();
    const saved = getRngState();
    const restored = JSON.parse(JSON.stringify(saved)) as RngState;
    expect(restored).toEqual(saved);
    const a = draws(10);
    setRngState(restored);
    expect(draws(10)).toEqual(a);
  });

  it("getRngState returns a snapshot that later draws do not change", () => {
    manualSeed(9);
    const saved = getRngState();
    const before = [...saved.state];
    draws(5);
    expect(saved.state).toEqual(before);
    expect(getRngState().state).not.toEqual(before);
  });

  const bad: [string, unknown, RegExp][] = [
    ["a wrong algorithm", { algorithm: "mt19937", state: [1, 2, 3, 4] }, /setRngState.*xoshiro128\*\*/],
    ["a missing state", { algorithm: "xoshiro128**" }, /setRngState.*4 uint32 words/],
    ["three words", { algorithm: "xoshiro128**", state: [1, 2, 3] }, /setRngState.*4 uint32 words/],
    ["five words", { algorithm: "xoshiro128**", state: [1, 2, 3, 4, 5] }, /setRngState.*4 uint32 words/],
    ["an all-zero state", { algorithm: "xoshiro128**", state: [0, 0, 0, 0] }, /setRngState: an all-zero state is invalid/],
    ["a negative word", { algorithm: "xoshiro128**", state: [1, -1, 3, 4] }, /setRngState.*uint32/],
    ["a word of 2^32", { algorithm: "xoshiro128**", state: [1, 2 ** 32, 3, 4] }, /setRngState.*uint32/],
    ["a fractional word", { algorithm: "xoshiro128**", state: [1, 2.5, 3, 4] }, /setRngState.*uint32/],
    ["a string word", { algorithm: "xoshiro128**", state: [1, "2", 3, 4] }, /setRngState.*uint32/],
    ["a NaN word", { algorithm: "xoshiro128**", state: [1, NaN, 3, 4] }, /setRngState.*uint32/],
    ["null", null, /setRngState/],
  ];

  it.each(bad)("rejects %s and leaves the generator unchanged", (_, state, message) => {
    manualSeed(10);
    const saved = getRngState();
    expect(() => setRngState(state as RngState)).toThrow(message);
    expect(getRngState()).toEqual(saved);
  });
});
