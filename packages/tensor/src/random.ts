/**
 * @file Seeded randomness from one generator: xoshiro128** (Blackman & Vigna), 128 bits of
 * state in four uint32 words, seeded through SplitMix32. Only 32-bit integer arithmetic
 * (Math.imul, shifts), so the same seed gives the same numbers on every machine and engine.
 * Seeding: a safe-integer seed splits as seed = hi * 2^32 + lo (floor division; lo and hi are
 * taken mod 2^32, so a negative seed has two's-complement words). A SplitMix32 counter x starts
 * at lo; each state word is the next output: x += 0x9e3779b9 (mod 2^32), then murmur3's fmix32
 * of x (z ^= z >>> 16; z *= 0x85ebca6b; z ^= z >>> 13; z *= 0xc2b2ae35; z ^= z >>> 16, all
 * mod 2^32). After the first word, x += hi. Word 0 fixes lo and word 1 then fixes hi (fmix32 is
 * a bijection), so distinct seeds give distinct states; an all-zero state becomes [1, 0, 0, 0].
 * Conversions: float32 uniforms use the top 24 bits of one draw, float64 uniforms 53 bits
 * of two draws, normals come from Box-Muller pairs, integers from unbiased rejection.
 */
import { empty } from "./create.js";
import { checkDType, DEFAULT_FLOAT, isFloating, type DType } from "./dtype.js";
import { checkShape, type Shape } from "./layout.js";
import type { NDArray } from "./ndarray.js";

/** A saved generator state; JSON-serializable, restored with `setRngState`. */
export interface RngState {
  readonly algorithm: "xoshiro128**";
  readonly state: readonly [number, number, number, number];
}

const state = new Uint32Array(4);

/** Seeds the generator; the same seed gives the same stream. Matches `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`manualSeed: seed must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x100000000) >>> 0;
  let x = lo;
  for (let i = 0; i < 4; i++) {
    // SplitMix32 outputs; hi joins the counter after the first, so both words reach the state.
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    state[i] = (z ^ (z >>> 16)) >>> 0;
    if (i === 0) x = (x + hi) >>> 0;
  }
  if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) state[0] = 1;
}

/** A copy of the generator state. Matches `torch.get_rng_state`. */
export function getRngState(): RngState {
  return { algorithm: "xoshiro128**", state: [state[0]!, state[1]!, state[2]!, state[3]!] };
}

/** Restores a state from `getRngState`, so a resumed run draws the same numbers. Matches `torch.set_rng_state`. */
export function setRngState(saved: RngState): void {
  const words: unknown = saved?.state;
  if (saved?.algorithm !== "xoshiro128**" || !Array.isArray(words) || words.length !== 4) {
    throw new TypeError(
      `setRngState: expected { algorithm: "xoshiro128**", state: [4 uint32 words] } from getRngState(), got ${describeState(saved)}`,
    );
  }
  const bad = words.find((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff);
  if (bad !== undefined) throw new RangeError(`setRngState: state word ${String(bad)} is not a uint32`);
  if (words.every((w) => w === 0)) throw new RangeError("setRngState: an all-zero state is invalid for xoshiro128**");
  state.set(words as number[]);
}

function describeState(saved: unknown): string {
  try {
    return JSON.stringify(saved) ?? String(saved);
  } catch {
    return String(saved);
  }
}

/** The next raw 32-bit draw (xoshiro128**). */
export function nextUint32(): number {
  const s0 = state[0]!;
  const s1 = state[1]!;
  const s2 = state[2]!;
  const s3 = state[3]!;
  const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  state[1] = s1 ^ n2;
  state[0] = s0 ^ n3;
  state[2] = n2 ^ t;
  state[3] = rotl(n3, 11);
  return r;
}

/** A uniform double in [0, 1) with 53 random bits. */
export function nextDouble(): number {
  const hi = nextUint32() >>> 5;
  const lo = nextUint32() >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Options of random creation functions. */
export interface RandomOptions {
  dtype?: DType;
}

function floatDType(options: RandomOptions, op: string): "float32" | "float64" {
  const dtype = options.dtype === undefined ? DEFAULT_FLOAT : checkDType(options.dtype, op);
  if (!isFloating(dtype)) throw new TypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  return dtype as "float32" | "float64";
}

/** Uniform samples in [0, 1). Matches `torch.rand`. */
export function rand(shape: Shape, options: RandomOptions = {}): NDArray {
  const dtype = floatDType(options, "rand");
  const out = empty(checkShape(shape, "rand"), dtype);
  const d = out.data;
  if (dtype === "float32") for (let i = 0; i < d.length; i++) d[i] = (nextUint32() >>> 8) / 16777216;
  else for (let i = 0; i < d.length; i++) d[i] = nextDouble();
  return out;
}

/** Standard normal samples (Box-Muller; both values of each pair are used). Matches `torch.randn`. */
export function randn(shape: Shape, options: RandomOptions = {}): NDArray {
  const out = empty(checkShape(shape, "randn"), floatDType(options, "randn"));
  fillNormal(out.data as Float32Array | Float64Array, 0, 1);
  return out;
}

/** Fills a float array with normal(mean, std) samples, two per Box-Muller pair. */
export function fillNormal(d: Float32Array | Float64Array, mean: number, std: number): void {
  for (let i = 0; i < d.length; i += 2) {
    const u1 = 1 - nextDouble(); // in (0, 1]: log stays finite
    const u2 = nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    d[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < d.length) d[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
}

/** A uniform integer in [0, range) for 1 <= range <= 2^32, without modulo bias. */
export function nextBelow(range: number): number {
  const limit = Math.floor(4294967296 / range) * range;
  for (;;) {
    const x = nextUint32();
    if (x < limit) return x % range;
  }
}

/**
 * Uniform integers in [low, high) (int32 unless `dtype`). A bool result needs 0 <= low and
 * high <= 2, as PyTorch checks. Matches `torch.randint(low, high, shape)`.
 */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): NDArray {
  const dtype = options.dtype === undefined ? "int32" : checkDType(options.dtype, "randint");
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < -2147483648 || high > 2147483648) {
    throw new RangeError(`randint: low ${low} and high ${high} must be integers within int32 range`);
  }
  if (high <= low) throw new RangeError(`randint: expects low < high, got low ${low} and high ${high}`);
  if (dtype === "bool" && (low < 0 || high > 2)) {
    throw new RangeError(`randint: [${low}, ${high}) is out of bounds for bool (expected 0 <= low < high <= 2)`);
  }
  const out = empty(checkShape(shape, "randint"), dtype);
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] = low + nextBelow(high - low);
  return out;
}

/**
 * 0/1 samples that are 1 with probability `p`: a number with a `shape`, or an array of
 * probabilities (the result has its shape and float dtype). Matches `torch.bernoulli`.
 */
export function bernoulli(p: number | NDArray, shape?: Shape, options: RandomOptions = {}): NDArray {
  if (typeof p === "number") {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    if (shape === undefined) throw new TypeError("bernoulli: a shape is required when p is a number");
    const out = empty(checkShape(shape, "bernoulli"), floatDType(options, "bernoulli"));
    const d = out.data;
    for (let i = 0; i < d.length; i++) d[i] = nextDouble() < p ? 1 : 0;
    return out;
  }
  const probs = p.contiguous();
  const dtype = options.dtype === undefined ? (isFloating(p.dtype) ? p.dtype : DEFAULT_FLOAT) : floatDType(options, "bernoulli");
  const out = empty(p.shape, dtype);
  const src = probs.data;
  const d = out.data;
  for (let i = 0; i < d.length; i++) {
    const q = src[probs.offset + i]!;
    if (!(q >= 0 && q <= 1)) throw new RangeError(`bernoulli: probabilities must be in [0, 1], found ${q}`);
    d[i] = nextDouble() < q ? 1 : 0;
  }
  return out;
}

/** A random permutation of 0..n-1 (Fisher-Yates). Matches `torch.randperm`. */
export function randperm(n: number, options: RandomOptions = {}): NDArray {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`randperm: n must be a non-negative integer, got ${n}`);
  const dtype = options.dtype === undefined ? "int32" : checkDType(options.dtype, "randperm");
  if (dtype === "bool") throw new TypeError("randperm: not implemented for bool (a permutation needs n values)");
  const out = empty([n], dtype);
  const d = out.data;
  for (let i = 0; i < n; i++) d[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = nextBelow(i + 1);
    const t = d[i]!;
    d[i] = d[j]!;
    d[j] = t;
  }
  return out;
}

/** Uniform samples shaped like `like`. */
export function randLike(like: NDArray, options: RandomOptions = {}): NDArray {
  return rand(like.shape, { dtype: options.dtype ?? (isFloating(like.dtype) ? like.dtype : DEFAULT_FLOAT) });
}

/** Normal samples shaped like `like`. */
export function randnLike(like: NDArray, options: RandomOptions = {}): NDArray {
  return randn(like.shape, { dtype: options.dtype ?? (isFloating(like.dtype) ? like.dtype : DEFAULT_FLOAT) });
}

// The same default seed as PyTorch (torch.initial_seed() before any manual_seed).
manualSeed(67280421310721);
