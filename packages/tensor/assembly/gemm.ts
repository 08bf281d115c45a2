/**
 * @file float32 GEMM for WebAssembly SIMD, C = A @ B over raw pointers into one (shared) memory.
 * BLIS-style: every B is packed once into NR-column panels covering all of k, each thread packs
 * MR-row panels of its A block per KC step, and a register-tiled MR x NR micro-kernel keeps
 * 8 f32x4 accumulators. Operands keep any element strides (a transposed view is packed in place).
 * Work is a list of tasks (pack tasks first, then row blocks) claimed through an atomic ticket, so
 * the calling thread and any workers share one job with no fixed split (see `work`). The same
 * job machinery runs the elementwise maps of maps.ts in chunks (`mapTask`).
 */
import { mapTask } from "./maps";

/** Rows of a micro-tile (A panel width). */
const MR: i32 = 4;
/** Columns of a micro-tile (B panel width): two f32x4 vectors. */
const NR: i32 = 8;
/** Depth of one A block: an MR x KC A panel and a KC x NR B panel stay in L1. */
export const KC: i32 = 256;

// Job descriptor, written by the host before a job opens (byte offsets, i32 unless noted).
const J_TICKET: usize = 0; //         i64: low word next task (0xFFFFFFFF = closed), high word generation
const J_DONE: usize = 8; //           tasks finished
const J_TOTAL: usize = 12; //         pack tasks + compute tasks
const J_PACK_TASKS: usize = 16;
const J_PACK_DONE: usize = 20;
const J_M: usize = 24;
const J_N: usize = 28;
const J_K: usize = 32;
const J_ARS: usize = 36; //           A row stride, elements
const J_ACS: usize = 40; //           A column stride
const J_BRS: usize = 44;
const J_BCS: usize = 48;
const J_LDC: usize = 52; //           C row stride (C has unit column stride)
const J_ROW_BLOCKS: usize = 56; //    compute tasks per batch entry
const J_MC: usize = 60; //            rows per compute task (a multiple of MR)
const J_PACK_CHUNKS: usize = 64; //   pack tasks per packed B
const J_CHUNK_PANELS: usize = 68; //  B panels per pack task
const J_PACKED_B: usize = 72; //      first packed B
const J_PACKED_STRIDE: usize = 76; // bytes between packed Bs
const J_TABLE: usize = 80; //         per batch entry: A, B, C byte addresses (3 x u32)
const J_SCRATCH: usize = 84; //       per-thread scratch: an MC x KC A block, then an MR x NR tile
const J_SCRATCH_STRIDE: usize = 88;
const J_SHARED_B: usize = 92; //      1: every batch entry uses the first B (packed once)
const J_THREADS: usize = 96; //       threads with tid < this take part
const J_KIND: usize = 100; //         KIND_GEMM, or KIND_MAP: elementwise tasks (fields in maps.ts)
// (104-131: the elementwise job's fields, maps.ts)
const J_A_READY: usize = 132; //      1 once the host has copied every A in; compute tasks wait for it
const J_TASK_DONE: usize = 136; //    address of one i32 per compute task, set to 1 when it ends (0: none)
const J_BIAS: usize = 140; //         address of n floats added to every row of C after the product (0: none)
// The host reserves 256 bytes for the descriptor (JOB_BYTES in src/backend/wasm.ts).

const KIND_MAP: i32 = 1;

/** First free byte after static data: the host lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 when compiled with relaxed SIMD (fused multiply-add micro-kernel), else 0. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/**
 * Claims and runs tasks of the open job at `job` until none is left or it has run `limit`, and
 * returns how many it ran; `tid` selects this thread's scratch. Safe to call from any number of
 * threads at once, and on a closed job (returns 0 at once). The ticket carries a generation, so a
 * late thread can never claim a task of the next job with a task count read from this one.
 */
export function work(job: usize, tid: i32, limit: i32): i32 {
  if (tid >= atomic.load<i32>(job + J_THREADS)) return 0;
  let ran = 0;
  while (ran < limit) {
    const t = atomic.load<i64>(job + J_TICKET);
    const idx = <u32>t;
    const total = <u32>atomic.load<i32>(job + J_TOTAL);
    if (idx >= total) return ran;
    if (atomic.cmpxchg<i64>(job + J_TICKET, t, t + 1) != t) continue;
    const packTasks = <u32>load<i32>(job + J_PACK_TASKS);
    if (idx < packTasks) {
      packTask(job, <i32>idx);
      if (<u32>atomic.add<i32>(job + J_PACK_DONE, 1) + 1 == packTasks) atomic.notify(job + J_PACK_DONE);
    } else if (load<i32>(job + J_KIND) == KIND_MAP) {
      mapTask(job, <i32>idx);
    } else {
      waitUntil(job + J_PACK_DONE, <i32>packTasks);
      waitUntil(job + J_A_READY, 1);
      computeTask(job, <i32>(idx - packTasks), tid);
      markDone(job, <i32>(idx - packTasks));
    }
    ran++;
    if (<u32>atomic.add<i32>(job + J_DONE, 1) + 1 == total) atomic.notify(job + J_DONE);
  }
  return ran;
}

/**
 * Runs every task of the job at `job` in order on this thread, with no ticket: for a job on a
 * memory no other thread sees, whose descriptor the host wrote without opening it.
 */
export function runAll(job: usize): void {
  const total = load<i32>(job + J_TOTAL);
  const packTasks = load<i32>(job + J_PACK_TASKS);
  const isMap = load<i32>(job + J_KIND) == KIND_MAP;
  for (let idx = 0; idx < total; idx++) {
    if (idx < packTasks) packTask(job, idx);
    else if (isMap) mapTask(job, idx);
    else {
      computeTask(job, idx - packTasks, 0);
      markDone(job, idx - packTasks);
    }
  }
}

/** Sets compute task `idx`'s done flag, where the host asked for flags (J_TASK_DONE). */
function markDone(job: usize, idx: i32): void {
  const flags = <usize>load<u32>(job + J_TASK_DONE);
  if (flags != 0) atomic.store<i32>(flags + (<usize>idx << 2), 1);
}

/**
 * The host's Atomics.wait on the i32 at `addr` for up to 1 ms while it holds `value`. Not wasm's
 * own memory.atomic.wait32: Node 20's baseline wasm compiler (V8 11.3 Liftoff) spills that
 * instruction's address as 8 bytes into a 4-byte stack slot, zeroing the neighbouring local; a
 * worker's pack-task count became 0 that way, and it waited forever.
 */
// @ts-ignore: decorator
@external("env", "sleepWhile")
declare function sleepWhile(addr: usize, value: i32): void;

/**
 * Blocks until the i32 at `addr` holds `value`: every pack task finished (they were all claimed
 * before any compute task), or the host done copying A in (it notifies).
 */
function waitUntil(addr: usize, value: i32): void {
  let spins = 0;
  while (true) {
    const now = atomic.load<i32>(addr);
    if (now == value) return;
    if (++spins > 20000) sleepWhile(addr, now);
  }
}

/** Packs one chunk of B panels: for panel q, element (p, j) goes to packed[(q * k + p) * NR + j]. */
function packTask(job: usize, idx: i32): void {
  const chunks = load<i32>(job + J_PACK_CHUNKS);
  const entry = idx / chunks;
  const chunk = idx - entry * chunks;
  const n = load<i32>(job + J_N);
  const k = load<i32>(job + J_K);
  const rs = load<i32>(job + J_BRS);
  const cs = load<i32>(job + J_BCS);
  const perChunk = load<i32>(job + J_CHUNK_PANELS);
  const panels = (n + NR - 1) / NR;
  const q1 = min(panels, (chunk + 1) * perChunk);
  const b = <usize>load<u32>(<usize>load<u32>(job + J_TABLE) + <usize>entry * 12, 4);
  const packed = <usize>load<u32>(job + J_PACKED_B) + <usize>entry * <usize>load<u32>(job + J_PACKED_STRIDE);
  for (let q = chunk * perChunk; q < q1; q++) {
    const j0 = q * NR;
    packPanel(b + ((<usize>j0 * cs) << 2), cs, rs, min(NR, n - j0), k, packed + ((<usize>q * k * NR) << 2), NR);
  }
}

/**
 * Packs `depth` steps of a `width`-wide panel: dst[p * width + j] = src[j * spanStride + p * depthStride]
 * for j < w, zero for w <= j < width. Unit strides along either axis take a SIMD path.
 */
function packPanel(src: usize, spanStride: i32, depthStride: i32, w: i32, depth: i32, dst: usize, width: i32): void {
  if (w == width && spanStride == 1) {
    // Each step's `width` values are contiguous.
    const step = <usize>depthStride << 2;
    for (let p = 0; p < depth; p++) {
      v128.store(dst, v128.load(src));
      if (width == 8) v128.store(dst, v128.load(src, 16), 16);
      src += step;
      dst += <usize>width << 2;
    }
    return;
  }
  if (w == width && depthStride == 1) {
    // Each lane j is contiguous along the depth: 4 x 4 transposes.
    const lane = <usize>spanStride << 2;
    const out = <usize>width << 2;
    let p = 0;
    for (; p + 4 <= depth; p += 4) {
      for (let j = 0; j < width; j += 4) {
        const s = src + ((<usize>j * spanStride + p) << 2);
        transpose4(s, lane, dst + ((<usize>p * width + j) << 2), out);
      }
    }
    for (; p < depth; p++) {
      for (let j = 0; j < width; j++) {
        store<f32>(dst + ((<usize>p * width + j) << 2), load<f32>(src + ((<usize>j * spanStride + p) << 2)));
      }
    }
    return;
  }
  for (let p = 0; p < depth; p++) {
    const row = dst + ((<usize>p * width) << 2);
    const s = src + ((<isize>p * depthStride) << 2);
    for (let j = 0; j < w; j++) store<f32>(row + (<usize>j << 2), load<f32>(s + ((<isize>j * spanStride) << 2)));
    for (let j = w; j < width; j++) store<f32>(row + (<usize>j << 2), 0);
  }
}

/** Writes the transpose of the 4 x 4 block at src (row pitch `pitch` bytes) to dst (pitch `out`). */
// @ts-ignore: decorator
@inline function transpose4(src: usize, pitch: usize, dst: usize, out: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + pitch);
  const r2 = v128.load(src + 2 * pitch);
  const r3 = v128.load(src + 3 * pitch);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + out, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * out, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * out, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Computes rows [r * MC, r * MC + MC) of one batch entry's C over all of n and k. */
function computeTask(job: usize, idx: i32, tid: i32): void {
  const rowBlocks = load<i32>(job + J_ROW_BLOCKS);
  const entry = idx / rowBlocks;
  const block = idx - entry * rowBlocks;
  const m = load<i32>(job + J_M);
  const n = load<i32>(job + J_N);
  const k = load<i32>(job + J_K);
  const rs = load<i32>(job + J_ARS);
  const cs = load<i32>(job + J_ACS);
  const ldc = load<i32>(job + J_LDC);
  const mc = load<i32>(job + J_MC);
  const i0 = block * mc;
  const rows = min(mc, m - i0);
  const table = <usize>load<u32>(job + J_TABLE) + <usize>entry * 12;
  const a = <usize>load<u32>(table) + ((<isize>i0 * rs) << 2);
  const c = <usize>load<u32>(table, 8) + ((<usize>i0 * ldc) << 2);
  const packedB = <usize>load<u32>(job + J_PACKED_B) +
    (load<i32>(job + J_SHARED_B) ? 0 : <usize>entry * <usize>load<u32>(job + J_PACKED_STRIDE));
  const scratch = <usize>load<u32>(job + J_SCRATCH) + <usize>tid * <usize>load<u32>(job + J_SCRATCH_STRIDE);
  const tile = scratch + ((<usize>mc * KC) << 2);
  const panels = (n + NR - 1) / NR;
  const ldcBytes = <usize>ldc << 2;
  const bias = <usize>load<u32>(job + J_BIAS);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    for (let ir = 0; ir < rows; ir += MR) {
      packPanel(a + ((<isize>ir * rs + <isize>pc * cs) << 2), rs, cs, min(MR, rows - ir), kc, scratch + ((<usize>ir * kc) << 2), MR);
    }
    const accumulate = pc > 0;
    // The bias goes on with the last depth block: (product + bias), as adding it afterwards.
    const last = pc + KC >= k && bias != 0;
    for (let q = 0; q < panels; q++) {
      const pb = packedB + ((<usize>(q * k + pc) * NR) << 2);
      const w = min(NR, n - q * NR);
      const cq = c + ((<usize>q * NR) << 2);
      const bq = last ? bias + ((<usize>q * NR) << 2) : 0;
      for (let ir = 0; ir < rows; ir += MR) {
        const h = min(MR, rows - ir);
        const pa = scratch + ((<usize>ir * kc) << 2);
        const cp = cq + <usize>ir * ldcBytes;
        if (h == MR && w == NR) {
          microKernel(kc, pa, pb, cp, ldcBytes, accumulate, bq);
        } else {
          microKernel(kc, pa, pb, tile, NR << 2, false, 0);
          storeEdge(tile, cp, ldcBytes, h, w, accumulate, bq);
        }
      }
    }
  }
}

/** Copies (or adds) the top-left h x w of an MR x NR tile into C, then adds bias[j] (at `bias`, when not 0). */
function storeEdge(tile: usize, c: usize, ldcBytes: usize, h: i32, w: i32, accumulate: bool, bias: usize): void {
  for (let i = 0; i < h; i++) {
    const src = tile + ((<usize>i * NR) << 2);
    const dst = c + <usize>i * ldcBytes;
    for (let j = 0; j < w; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(src + o);
      let y = accumulate ? load<f32>(dst + o) + v : v;
      if (bias != 0) y += load<f32>(bias + o);
      store<f32>(dst + o, y);
    }
  }
}

/** acc + a * b, fused where relaxed SIMD is compiled in. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * C (MR x NR at c, row pitch ldcBytes) = (or +=) packed A panel (kc x MR) @ packed B panel (kc x NR),
 * then + the NR floats at `bias` on every row (when not 0).
 */
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, accumulate: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    // One load of the step's MR values and register shuffles: fewer instructions per step than
    // four broadcast loads (V8 spends an address computation on each); 5-7% more GFLOP/s in a
    // kernel-only loop here, the same order of additions.
    const a = v128.load(pa);
    let x = v128.shuffle<f32>(a, a, 0, 0, 0, 0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.shuffle<f32>(a, a, 1, 1, 1, 1);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.shuffle<f32>(a, a, 2, 2, 2, 2);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.shuffle<f32>(a, a, 3, 3, 3, 3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    pa += 16;
    pb += 32;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldcBytes));
    c11 = f32x4.add(c11, v128.load(c + ldcBytes, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldcBytes));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldcBytes, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldcBytes));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldcBytes, 16));
  }
  if (bias != 0) {
    const b0 = v128.load(bias);
    const b1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, b0);
    c01 = f32x4.add(c01, b1);
    c10 = f32x4.add(c10, b0);
    c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0);
    c21 = f32x4.add(c21, b1);
    c30 = f32x4.add(c30, b0);
    c31 = f32x4.add(c31, b1);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldcBytes, c10);
  v128.store(c + ldcBytes, c11, 16);
  v128.store(c + 2 * ldcBytes, c20);
  v128.store(c + 2 * ldcBytes, c21, 16);
  v128.store(c + 3 * ldcBytes, c30);
  v128.store(c + 3 * ldcBytes, c31, 16);
}
