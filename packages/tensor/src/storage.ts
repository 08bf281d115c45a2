/**
 * @file Where storage comes from. Small arrays are carved from shared chunks (V8's per-array
 * allocation cost dominated tiny ops); larger ones come from a cache of buffers that the
 * autograd engine handed back because nothing can see them any more (fresh memory costs a
 * zero-fill, page faults and garbage-collector pressure on every training step). JS cannot
 * tell when an array dies, so only a caller that knows (`releaseStorage`) ever returns one.
 */
import { ELEMENT_BYTES, type DType, type Storage, type StorageOf } from "./dtype.js";
import { env } from "./env.js";

// V8 gives every typed array over 64 bytes its own off-heap backing store, 1-2 us apiece: that
// dominated tiny ops. Such storage up to 8 KiB is carved instead from shared 64 KiB chunks.
// Each byte is handed out once, so a carved array starts zeroed, and a chunk is freed with its
// last view; so one small tensor kept alive keeps its whole chunk alive (at most 64 KiB each).
// Up to 64 bytes (scalars, such as a loss) V8 allocates on its own heap, which is as cheap.
const ON_HEAP_BYTES = 64;
const SMALL_STORAGE_BYTES = 8192;
const CHUNK_BYTES = 65536;
let chunk = new ArrayBuffer(CHUNK_BYTES);
let chunkUsed = 0;

/** The offset in `chunk` of a zeroed, 8-byte aligned range (any element type can view it). */
function carve(bytes: number): number {
  if (chunkUsed + bytes > CHUNK_BYTES) {
    chunk = new ArrayBuffer(CHUNK_BYTES);
    chunkUsed = 0;
  }
  const byteOffset = chunkUsed;
  chunkUsed += (bytes + 7) & ~7;
  return byteOffset;
}

/** A new zeroed typed array of `size` elements (V8 keeps one of up to 64 bytes on its heap). */
function fresh(dtype: DType, size: number): Storage {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/** A typed array of `dtype`: `size` elements of `buffer` from `byteOffset`. */
function view(dtype: DType, buffer: ArrayBuffer, byteOffset: number, size: number): Storage {
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer, byteOffset, size);
    case "float64":
      return new Float64Array(buffer, byteOffset, size);
    case "int32":
      return new Int32Array(buffer, byteOffset, size);
    case "bool":
      return new Uint8Array(buffer, byteOffset, size);
  }
}

// The cache of released buffers, by byte length, size classes in least recently used order
// (a class moves to the end when used). At most `cacheLimit` bytes: a release that would pass it
// first drops the least recently used classes, so sizes a model stopped using make way.
const cache = new Map<number, ArrayBuffer[]>();
let cacheBytes = 0;
let cacheLimit = 256 * 1024 * 1024;
// TYPEGRAD_POISON_UNINIT=1 (a test aid): uninitialized storage is all 0xFF bytes (NaN floats),
// so a kernel that reads an element it did not write fails its tests.
const poisonUninit = env("TYPEGRAD_POISON_UNINIT") === "1";
// Open allocation scopes (see `openAllocationScope`); usually none or one.
const scopes: WeakSet<Storage>[] = [];

/**
 * Allocates zero-filled storage of `size` elements. Storage of 65 bytes to 8 KiB is a view into a
 * shared buffer (its `byteOffset` is not 0, its `buffer` holds other tensors too); larger storage
 * owns its buffer, which may be a released one (zeroed again).
 */
export function allocStorage<D extends DType>(dtype: D, size: number): StorageOf[D];
export function allocStorage(dtype: DType, size: number): Storage {
  return allocate(dtype, size, true);
}

/**
 * Like `allocStorage`, but storage that comes from the cache keeps its old values: for a kernel
 * that writes every element before anything reads one (PyTorch's `at::empty`).
 */
export function allocStorageUninit<D extends DType>(dtype: D, size: number): StorageOf[D];
export function allocStorageUninit(dtype: DType, size: number): Storage {
  const storage = allocate(dtype, size, false);
  if (poisonUninit) new Uint8Array(storage.buffer, storage.byteOffset, storage.byteLength).fill(255);
  return storage;
}

function allocate(dtype: DType, size: number, zero: boolean): Storage {
  const bytes = size * ELEMENT_BYTES[dtype];
  if (bytes <= SMALL_STORAGE_BYTES) {
    if (bytes > ON_HEAP_BYTES) {
      const byteOffset = carve(bytes); // first: it may start a new chunk
      return view(dtype, chunk, byteOffset, size);
    }
    return fresh(dtype, size);
  }
  const free = cache.get(bytes);
  let storage: Storage;
  if (free !== undefined && free.length > 0) {
    cacheBytes -= bytes;
    storage = view(dtype, free.pop()!, 0, size);
    if (zero) storage.fill(0);
    touch(bytes, free);
  } else storage = fresh(dtype, size);
  for (let i = 0; i < scopes.length; i++) scopes[i]!.add(storage);
  return storage;
}

/** Whether `storage` has a buffer of its own (over 8 KiB), which `releaseStorage` can take back. */
export function ownsBuffer(storage: Storage): boolean {
  const buffer = storage.buffer;
  return buffer instanceof ArrayBuffer && storage.byteLength === buffer.byteLength && buffer.byteLength > SMALL_STORAGE_BYTES;
}

/**
 * Hands `storage`'s buffer back for reuse. Only for a caller that knows nothing can read or write
 * it any more (no tensor, view or typed array over that buffer is reachable): the autograd engine
 * for gradients it made and consumed. Storage that does not own its buffer is ignored.
 */
export function releaseStorage(storage: Storage): void {
  if (!ownsBuffer(storage)) return;
  const buffer = storage.buffer as ArrayBuffer;
  const bytes = buffer.byteLength;
  if (bytes > cacheLimit) return;
  let free = cache.get(bytes);
  if (free === undefined) cache.set(bytes, (free = []));
  else touch(bytes, free);
  free.push(buffer);
  cacheBytes += bytes;
  trimCache(cacheLimit); // this class is the most recently used: it goes last
}

/** Marks a size class as the most recently used. */
function touch(bytes: number, free: ArrayBuffer[]): void {
  cache.delete(bytes);
  cache.set(bytes, free);
}

/** Drops buffers, least recently used size classes first, until at most `limit` bytes are cached. */
function trimCache(limit: number): void {
  for (const [bytes, free] of cache) {
    while (free.length > 0 && cacheBytes > limit) {
      free.pop();
      cacheBytes -= bytes;
    }
    if (free.length === 0) cache.delete(bytes);
    if (cacheBytes <= limit) return;
  }
}

/**
 * Starts recording which storage gets allocated (only storage that owns its buffer). The engine
 * opens one per backward pass: a gradient whose storage was allocated inside the pass, and that
 * never left it, is the engine's alone.
 */
export function openAllocationScope(): AllocationScope {
  const allocated = new WeakSet<Storage>();
  scopes.push(allocated);
  return {
    allocated: (storage) => allocated.has(storage),
    close: () => {
      const i = scopes.lastIndexOf(allocated);
      if (i >= 0) scopes.splice(i, 1);
    },
  };
}

/** What `openAllocationScope` returns. */
export interface AllocationScope {
  /** True for storage allocated while this scope was open. */
  allocated(storage: Storage): boolean;
  /** Stops recording. */
  close(): void;
}

/**
 * Sets how many bytes of released buffers may wait for reuse (default 256 MiB; 0 turns the cache
 * off), dropping the least recently used cached buffers beyond it.
 */
export function setStorageCacheLimit(bytes: number): void {
  if (!(bytes >= 0)) throw new RangeError(`setStorageCacheLimit: expected a byte count >= 0, got ${bytes}`);
  cacheLimit = bytes;
  trimCache(cacheLimit);
}

/** Drops every cached buffer (the garbage collector then frees them). Like `torch.cuda.empty_cache`. */
export function emptyStorageCache(): void {
  cache.clear();
  cacheBytes = 0;
}

/** Bytes of released buffers now waiting for reuse, and the limit. */
export function storageCacheInfo(): { bytes: number; limit: number } {
  return { bytes: cacheBytes, limit: cacheLimit };
}
