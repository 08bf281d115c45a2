/**
 * @file Helpers of the safetensors suites (not exported by the package): files built by hand,
 * little-endian byte strings, the framing check, round trips and the rejection check.
 */
import { expect } from "vitest";
import { Tensor } from "@typegrad/autograd";
import { parseSafetensors, SafetensorsError, safetensorsMetadata, serializeSafetensors, type StateDict } from "./safetensors.js";

export const utf8 = new TextEncoder();

/** A file built by hand: u64 little-endian header length, the header bytes as given, the data. */
export function file(header: string | Uint8Array | object, data: ArrayLike<number> = [], declaredLength?: number | bigint): Uint8Array {
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
export const f32 = (...v: number[]) => bytesOf(4, v, (d, at, x) => d.setFloat32(at, x, true));
export const u16 = (...v: number[]) => bytesOf(2, v, (d, at, x) => d.setUint16(at, x, true));
export const i64 = (...v: bigint[]) => bytesOf(8, v, (d, at, x) => d.setBigInt64(at, x, true));

/**
 * Expects parsing (and, for a header problem, reading the metadata) to throw a SafetensorsError
 * whose message matches.
 */
export function expectRejected(bytes: Uint8Array, message: RegExp, { inHeader = true } = {}): void {
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
export function split(bytes: Uint8Array): { json: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  expect((8 + n) % 8, "data starts 8-byte aligned").toBe(0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const json = text.replace(/ *$/, "");
  expect(text.length - json.length, "padding is 0..7 trailing spaces").toBeLessThan(8);
  expect(json.endsWith("}")).toBe(true);
  return { json, data: bytes.subarray(8 + n) };
}

export function roundTrip(sd: StateDict, metadata?: Record<string, string>): StateDict {
  const bytes = serializeSafetensors(sd, metadata);
  split(bytes);
  return parseSafetensors(bytes);
}

/** Same names in the same order, and per tensor the same dtype, shape and values (exactly: -0 is not 0). */
export function expectSameStateDict(got: StateDict, want: StateDict): void {
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
