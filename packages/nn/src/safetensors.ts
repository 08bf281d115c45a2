/**
 * @file The safetensors format in memory (no file system, so it runs in browsers too):
 * 8-byte little-endian header length, a JSON header mapping names to
 * { dtype, shape, data_offsets } (plus optional "__metadata__" of strings), then the raw
 * little-endian bytes, which the tensors tile exactly. Parsing validates everything before any
 * tensor is built: a bad file gets a SafetensorsError naming what is wrong, never a crash or
 * garbage. Reads F64/F32/F16/BF16 (as float), I64/I32/I16/I8/U8 (as int32, I64 range-checked)
 * and BOOL; writes F64, F32, I32, BOOL with the header padded so the data is 8-byte aligned.
 */
import { NDArray, type DType } from "@typegrad/tensor";
import { Tensor } from "@typegrad/autograd";

/** A state dict: parameter and buffer names (PyTorch's) to tensors, in insertion order. */
export type StateDict = Record<string, Tensor>;

/** Largest header accepted (as the reference implementation: 100 MB). */
const MAX_HEADER = 100_000_000;

/** Bytes per element of every dtype code read. */
const ITEM_SIZE = new Map<string, number>([
  ["F64", 8], ["F32", 4], ["F16", 2], ["BF16", 2], ["I64", 8], ["I32", 4], ["I16", 2], ["I8", 1], ["U8", 1], ["BOOL", 1],
]);
const WRITE_CODE: Record<DType, string> = { float64: "F64", float32: "F32", int32: "I32", bool: "BOOL" };

/** Why a safetensors buffer (or a state dict to serialize) was rejected. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = "SafetensorsError";
  }
}

interface Entry {
  name: string;
  code: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * The header's metadata (string to string), or an empty object; the whole header is validated.
 * @example safetensorsMetadata(bytes) // { format: "pt" }
 */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return readHeader(bytes).metadata;
}

/**
 * Parses a safetensors buffer into a state dict of fresh tensors (copies: the buffer can be
 * reused), in header order. Matches `safetensors.torch.load`.
 * @example const sd = parseSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export function parseSafetensors(bytes: Uint8Array): StateDict {
  const { entries, dataStart } = readHeader(bytes);
  // fromEntries defines own properties, so even a tensor named "__proto__" is kept as a key
  return Object.fromEntries(entries.map((e) => [e.name, new Tensor(decode(e, bytes.subarray(dataStart + e.begin, dataStart + e.end)))]));
}

function readHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) throw new SafetensorsError(`file of ${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER)) throw new SafetensorsError(`header length ${headerLength} exceeds the ${MAX_HEADER}-byte limit`);
  const n = Number(headerLength);
  if (8 + n > bytes.length) throw new SafetensorsError(`header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    // ignoreBOM keeps a byte-order mark in the text, where JSON.parse rejects it (as the reference does)
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(header)) throw new SafetensorsError(`header must be a JSON object, got ${describe(header)}`);
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") metadata = checkMetadata(value);
    else entries.push(checkEntry(name, value));
  }
  checkCoverage(entries, bytes.length - 8 - n);
  return { entries, metadata, dataStart: 8 + n };
}

function checkMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new SafetensorsError(`__metadata__ must be an object of strings, got ${describe(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new SafetensorsError(`__metadata__ value of ${describe(k)} must be a string, got ${describe(v)}`);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function checkEntry(name: string, value: unknown): Entry {
  const where = `tensor ${describe(name)}`;
  if (!isPlainObject(value)) throw new SafetensorsError(`${where} must be an object { dtype, shape, data_offsets }, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  const itemSize = typeof dtype === "string" ? ITEM_SIZE.get(dtype) : undefined;
  if (itemSize === undefined) {
    throw new SafetensorsError(`${where} has unsupported dtype ${describe(dtype)} (supported: ${[...ITEM_SIZE.keys()].join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new SafetensorsError(`${where} has an invalid shape ${describe(shape)} (expected an array of non-negative integers)`);
  }
  const dims = shape as number[];
  // the row-major strides (empty dims count as 1) must stay exact integers
  if (!Number.isSafeInteger(dims.reduce((p, s) => p * Math.max(s, 1), 1))) {
    throw new SafetensorsError(`${where} has a shape ${describe(dims)} too large to index`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(`${where} has invalid data_offsets ${describe(offsets)} (expected [begin, end] with 0 <= begin <= end)`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = dims.reduce((p, s) => p * s, 1) * itemSize;
  if (end - begin !== expected) {
    throw new SafetensorsError(`${where} of shape ${describe(dims)} ${dtype} needs ${expected} bytes, but data_offsets [${begin},${end}] span ${end - begin}`);
  }
  return { name, code: dtype as string, shape: dims, begin, end };
}

/** The tensors must tile the data section exactly: in range, contiguous, non-overlapping. */
function checkCoverage(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) {
      throw new SafetensorsError(
        e.begin < at
          ? `tensor ${describe(e.name)} (bytes ${e.begin}..${e.end}) overlaps the previous tensor (which ends at byte ${at})`
          : `gap before tensor ${describe(e.name)}: bytes ${at}..${e.begin} belong to no tensor`,
      );
    }
    at = e.end;
  }
  if (at > dataLength) throw new SafetensorsError(`tensor data runs to byte ${at}, but the data section has ${dataLength} bytes`);
  if (at < dataLength) throw new SafetensorsError(`${dataLength - at} trailing bytes after the last tensor (data section of ${dataLength} bytes)`);
}

function decode(e: Entry, raw: Uint8Array): NDArray {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = (e.end - e.begin) / ITEM_SIZE.get(e.code)!;
  const fill = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(data: T, read: (i: number) => number): T => {
    for (let i = 0; i < n; i++) data[i] = read(i);
    return data;
  };
  let data: Float32Array | Float64Array | Int32Array | Uint8Array;
  switch (e.code) {
    case "F64": data = fill(new Float64Array(n), (i) => view.getFloat64(8 * i, true)); break;
    case "F32": data = fill(new Float32Array(n), (i) => view.getFloat32(4 * i, true)); break;
    case "F16": data = fill(new Float32Array(n), (i) => halfToFloat(view.getUint16(2 * i, true))); break;
    case "BF16": data = fill(new Float32Array(n), (i) => bfloat16ToFloat(view.getUint16(2 * i, true))); break;
    case "I64":
      data = fill(new Int32Array(n), (i) => {
        const v = view.getBigInt64(8 * i, true);
        if (v < -2147483648n || v > 2147483647n) {
          throw new SafetensorsError(`tensor ${describe(e.name)}: I64 value ${v} at element ${i} does not fit in int32`);
        }
        return Number(v);
      });
      break;
    case "I32": data = fill(new Int32Array(n), (i) => view.getInt32(4 * i, true)); break;
    case "I16": data = fill(new Int32Array(n), (i) => view.getInt16(2 * i, true)); break;
    case "I8": data = fill(new Int32Array(n), (i) => view.getInt8(i)); break;
    case "U8": data = fill(new Int32Array(n), (i) => view.getUint8(i)); break;
    default: data = fill(new Uint8Array(n), (i) => (view.getUint8(i) !== 0 ? 1 : 0));
  }
  return NDArray.fromStorage(data, e.shape);
}

/** IEEE half: sign, 5-bit exponent (bias 15), 10-bit fraction; exponent 0 is subnormal. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the upper half of a float32. */
function bfloat16ToFloat(b: number): number {
  scratch.setUint32(0, b << 16);
  return scratch.getFloat32(0);
}

/**
 * Serializes a state dict (contiguous copies of each tensor, little-endian, in insertion order)
 * with optional string metadata. The header is padded with spaces so the data starts 8-byte
 * aligned. Matches `safetensors.torch.save`.
 * @example const bytes = serializeSafetensors(model.stateDict(), { format: "pt" });
 */
export function serializeSafetensors(stateDict: StateDict, metadata?: Record<string, string>): Uint8Array {
  if (!isPlainObject(stateDict)) throw new SafetensorsError(`expected a state dict (a plain object of tensors), got ${kindOf(stateDict)}`);
  const header: [string, unknown][] = [];
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new SafetensorsError(`metadata must be a plain object of strings, got ${kindOf(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(`metadata value of ${describe(k)} must be a string, got ${describe(v)}`);
    }
    header.push(["__metadata__", metadata]);
  }
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const [name, t] of Object.entries(stateDict)) {
    if (name === "__metadata__") throw new SafetensorsError('"__metadata__" cannot be a tensor name');
    if (!(t instanceof Tensor)) throw new SafetensorsError(`state dict entry ${describe(name)} is not a Tensor (got ${kindOf(t)})`);
    const bytes = littleEndianBytes(t.array.contiguous());
    header.push([name, { dtype: WRITE_CODE[t.dtype], shape: t.shape, data_offsets: [at, at + bytes.length] }]);
    chunks.push(bytes);
    at += bytes.length;
  }
  // fromEntries (not assignment) so that a tensor named "__proto__" becomes a key, not a prototype
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const headLength = json.length + ((8 - ((8 + json.length) % 8)) % 8);
  const out = new Uint8Array(8 + headLength + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(headLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headLength);
  let offset = 8 + headLength;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** The elements of a contiguous array (from its offset) as little-endian bytes. */
function littleEndianBytes(a: NDArray): Uint8Array {
  const n = a.size;
  const size = a.data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(n * size);
  const view = new DataView(out.buffer);
  const d = a.data;
  const o = a.offset;
  if (a.dtype === "float64") for (let i = 0; i < n; i++) view.setFloat64(8 * i, d[o + i]!, true);
  else if (a.dtype === "float32") for (let i = 0; i < n; i++) view.setFloat32(4 * i, d[o + i]!, true);
  else if (a.dtype === "int32") for (let i = 0; i < n; i++) view.setInt32(4 * i, d[o + i]!, true);
  else for (let i = 0; i < n; i++) out[i] = d[o + i] ? 1 : 0;
  return out;
}

/** An object literal (or JSON object, or null-prototype object): not an array, Map or class instance. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** What a value is, for messages about arguments of the wrong type. */
function kindOf(v: unknown): string {
  if (v === null || typeof v !== "object") return v === null ? "null" : typeof v;
  return Array.isArray(v) ? "an array" : `an object (${(v as { constructor?: { name?: string } }).constructor?.name ?? "no prototype"})`;
}

/** A short JSON rendering of a value for messages (safe on deep nesting and huge arrays). */
function describe(v: unknown, max = 60): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? "a deeply nested array" : typeof v === "object" ? "a deeply nested object" : String(v);
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
