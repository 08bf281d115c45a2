/**
 * @file Tests of storage.ts's cache of released buffers: reuse by byte length (zeroed, or as
 * left for `allocStorageUninit`), what it refuses (shared chunks, its limit), and allocation
 * scopes.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  allocStorage,
  allocStorageUninit,
  emptyStorageCache,
  openAllocationScope,
  releaseStorage,
  setStorageCacheLimit,
  storageCacheInfo,
} from "./storage.js";

afterEach(() => {
  setStorageCacheLimit(256 * 1024 * 1024);
  emptyStorageCache();
});

describe("storage cache", () => {
  it("reuses a released buffer for the next storage of the same byte length, zeroed, in any dtype", () => {
    emptyStorageCache();
    const a = allocStorage("float32", 4096);
    a.fill(7);
    releaseStorage(a);
    expect(storageCacheInfo().bytes).toBe(16384);
    const b = allocStorage("int32", 4096);
    expect(b.buffer).toBe(a.buffer);
    expect(b).toBeInstanceOf(Int32Array);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(storageCacheInfo().bytes).toBe(0);
    const c = allocStorage("float32", 4096);
    expect(c.buffer).not.toBe(a.buffer);
  });

  it("allocStorageUninit keeps a reused buffer's values (NaN with TYPEGRAD_POISON_UNINIT=1); a fresh one is zeroed", () => {
    const poison = process.env.TYPEGRAD_POISON_UNINIT === "1";
    emptyStorageCache();
    expect(allocStorageUninit("float64", 3000).every((v) => (poison ? Number.isNaN(v) : v === 0))).toBe(true);
    const a = allocStorage("float64", 3000);
    a.fill(2.5);
    releaseStorage(a);
    const b = allocStorageUninit("float64", 3000);
    expect(b.buffer).toBe(a.buffer);
    expect(b[2999]).toBe(poison ? NaN : 2.5);
    expect(allocStorageUninit("int32", 100).every((v) => v === (poison ? -1 : 0))).toBe(true);
  });

  it("ignores storage that shares its buffer, or is a part of one", () => {
    emptyStorageCache();
    const small = allocStorage("float32", 100);
    releaseStorage(small);
    const big = allocStorage("float32", 8192);
    releaseStorage(big.subarray(1));
    expect(storageCacheInfo().bytes).toBe(0);
  });

  it("keeps at most its limit, dropping the least recently used sizes first; a limit of 0 turns it off", () => {
    setStorageCacheLimit(40000);
    const [a, b] = [allocStorage("float32", 3000), allocStorage("float32", 3000)];
    releaseStorage(a); // 12000 bytes
    releaseStorage(allocStorage("float32", 4000)); // 16000 bytes
    releaseStorage(b); // the 12000 class is now the most recently used
    expect(storageCacheInfo()).toEqual({ bytes: 40000, limit: 40000 });
    releaseStorage(allocStorage("float32", 2500)); // 10000 more: the 16000 class makes way
    expect(storageCacheInfo().bytes).toBe(34000);
    expect(allocStorage("float32", 4000).buffer).not.toBe(a.buffer);
    expect([a.buffer, b.buffer]).toContain(allocStorage("float32", 3000).buffer);
    expect(storageCacheInfo().bytes).toBe(22000);
    releaseStorage(allocStorage("float32", 20000)); // larger than the limit: not kept
    expect(storageCacheInfo().bytes).toBe(22000);
    setStorageCacheLimit(15000); // trims to the limit, oldest first
    expect(storageCacheInfo()).toEqual({ bytes: 12000, limit: 15000 });
    setStorageCacheLimit(0);
    expect(storageCacheInfo().bytes).toBe(0);
    releaseStorage(allocStorage("float32", 5000));
    expect(storageCacheInfo().bytes).toBe(0);
    expect(() => setStorageCacheLimit(-1)).toThrow(/setStorageCacheLimit: expected a byte count >= 0, got -1/);
  });

  it("an allocation scope records the owned storage allocated while it is open", () => {
    const before = allocStorage("float32", 5000);
    const scope = openAllocationScope();
    const inside = allocStorage("float32", 5000);
    const chunked = allocStorage("float32", 100);
    scope.close();
    const after = allocStorage("float32", 5000);
    expect([before, inside, chunked, after].map((s) => scope.allocated(s))).toEqual([false, true, false, false]);
  });
});

describe("small storage", () => {
  it("stays disjoint and zeroed across many chunks", () => {
    const arrays = Array.from({ length: 400 }, (_, i) => allocStorage("float32", 300 + (i % 7) * 250));
    arrays.forEach((a, i) => {
      expect(a.every((v) => v === 0)).toBe(true);
      a.fill(i + 1);
    });
    expect(new Set(arrays.map((a) => a.buffer)).size).toBeGreaterThan(10);
    arrays.forEach((a, i) => expect(a.every((v) => v === i + 1)).toBe(true));
  });
});
