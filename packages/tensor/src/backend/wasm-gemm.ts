/**
 * @file Batched float32 GEMM on the WebAssembly kernel: copies the storage span that the operands
 * touch into the arena as it is (a transposed or strided view keeps its strides; the kernel's
 * packing reads them in place), runs one job for the whole batch (one packed B when every entry
 * shares it), and copies C out. A view whose span is mostly gaps is gathered compactly instead,
 * and a batch larger than the arena budget runs as several jobs (by entries, then by rows).
 * A job for one thread runs on the unshared memory (cheaper copies), one for several threads on
 * the shared memory that the pool workers see. There the caller copies A in while the workers
 * pack B, and copies each row block of C out as its task ends while they compute the rest, so
 * that most of its copying overlaps their work instead of leaving them idle.
 */
import { MC_MAX, MR, NR, align, localRuntime, reserve, runJob, tuning, wasmRuntime, type WasmRuntime } from "./wasm.js";

/** One operand of a batch: entry e is the matrix at storage index `offsets[e]` with these strides. */
export interface BatchOperand {
  readonly data: Float32Array;
  readonly rowStride: number;
  readonly colStride: number;
  readonly offsets: readonly number[];
}

/** Where each C_e of a batch goes: its (0, 0) at storage index `offsets[e]`, rows `rowStride` apart (unit column stride). */
export interface OutputLayout {
  readonly offsets: readonly number[];
  readonly rowStride: number;
}

/** n contiguous floats from `offset`: a bias added to every row of every C_e (F.linear's, as addmm). */
export interface BiasRow {
  readonly data: Float32Array;
  readonly offset: number;
}

/** C_e at e * m * n, rows of n: a contiguous [count, m, n] result. */
export function packedLayout(count: number, m: number, n: number): OutputLayout {
  const offsets = new Array<number>(count);
  for (let e = 0; e < count; e++) offsets[e] = e * m * n;
  return { offsets, rowStride: n };
}

/** offsets[e] + shift for e in [e0, e1). (Plain loops here: a tiny product's bookkeeping is most of its time.) */
function shifted(offsets: readonly number[], e0: number, e1: number, shift: number): number[] {
  const out = new Array<number>(e1 - e0);
  for (let e = e0; e < e1; e++) out[e - e0] = offsets[e]! + shift;
  return out;
}

/**
 * Writes C_e = A_e (m x k) @ B_e (k x n) (+ `bias` on every row) for every entry e into `c` at
 * `out` (no two C elements at one index). Needs k > 0 and a loaded runtime. False (with nothing
 * promised about `c`) when a piece cannot fit the WebAssembly memory; the caller then falls back.
 */
export function wasmGemmBatch(
  m: number, n: number, k: number, a: BatchOperand, b: BatchOperand, c: Float32Array, out: OutputLayout, threads: number, bias: BiasRow | null = null,
): boolean {
  const rt = threads > 1 ? wasmRuntime() : localRuntime();
  if (rt === null) return false;
  const count = a.offsets.length;
  const b0 = b.offsets[0]!;
  let sharedB = true;
  for (let e = 1; e < b.offsets.length && sharedB; e++) sharedB = b.offsets[e] === b0;
  const panels = Math.ceil(n / NR);
  const packedBytes = align(panels * NR * k * 4);
  // Bounds: a copied span takes at most twice the matrix (else it is gathered), plus alignment.
  const bBytes = 8 * k * n + 4096 + packedBytes;
  const biasBytes = align(panels * NR * 4);
  const fixed = 4096 + biasBytes + (sharedB ? bBytes : 0);
  const perEntry = 8 * m * k + 4 * m * n + 4096 + 256 + (sharedB ? 0 : bBytes);
  let group = Math.max(1, Math.floor((tuning.arenaBudget - fixed) / perEntry));
  let rows = m;
  if (fixed + perEntry > tuning.arenaBudget) {
    group = 1;
    rows = Math.floor((tuning.arenaBudget - 8192 - biasBytes - bBytes) / (8 * k + 4 * n)) & ~(MR - 1);
    if (rows < MR) return false;
  }
  for (let e0 = 0; e0 < count; e0 += group) {
    const e1 = Math.min(count, e0 + group);
    for (let r0 = 0; r0 < m; r0 += rows) {
      if (!runPiece(rt, m, n, k, a, b, sharedB, e0, e1, r0, Math.min(m, r0 + rows), c, out, threads, bias)) return false;
    }
  }
  return true;
}

/** Storage-index range [lo, hi] that a rows x cols view at `base` touches. */
function extent(base: number, rows: number, cols: number, rs: number, cs: number): [number, number] {
  const r = (rows - 1) * rs;
  const q = (cols - 1) * cs;
  return [base + Math.min(0, r) + Math.min(0, q), base + Math.max(0, r) + Math.max(0, q)];
}

/** How one operand of a piece goes into the heap: its touched span verbatim, or gathered. */
interface Placement {
  /** Storage range [lo, hi] copied verbatim, or null to gather each matrix compactly. */
  span: [number, number] | null;
  /** Elements it takes in the heap. */
  size: number;
}

/** Copies the span that the matrices touch when it is dense enough, else gathers them. */
function plan(op: BatchOperand, bases: readonly number[], rows: number, cols: number): Placement {
  let lo = Infinity;
  let hi = -Infinity;
  for (const base of bases) {
    const [l, h] = extent(base, rows, cols, op.rowStride, op.colStride);
    if (l < lo) lo = l;
    if (h > hi) hi = h;
  }
  const dense = bases.length * rows * cols;
  // One spare element: `place` may shift the span by one (see `parityShift`).
  return hi - lo + 1 <= 2 * dense + 1024 ? { span: [lo, hi], size: hi - lo + 2 } : { span: null, size: dense };
}

/**
 * 1 when a float32 copy between element `from` of `data` and element `to` of the heap would pair
 * addresses that differ mod 8 bytes, else 0. V8 copies into and out of shared memory with relaxed
 * atomic word moves, and falls back to single bytes for such a pair: 10x slower here (465 against
 * 50 us per MiB), so a span is placed one element further on instead.
 */
function parityShift(data: Float32Array, from: number, to: number): number {
  return ((data.byteOffset >> 2) + from - to) & 1;
}

/**
 * Writes the matrices into the heap at element index `at` (only when `copy`: the same call
 * without it says where they will go); returns their strides there and each one's (0, 0) as an
 * element index.
 */
function place(heap: Float32Array, op: BatchOperand, bases: readonly number[], rows: number, cols: number, p: Placement, at: number, copy: boolean) {
  const { data, rowStride: rs, colStride: cs } = op;
  if (p.span !== null) {
    const [lo, hi] = p.span;
    const to = at + parityShift(data, lo, at);
    if (copy) heap.set(data.subarray(lo, hi + 1), to);
    return { rowStride: rs, colStride: cs, starts: shifted(bases, 0, bases.length, to - lo) };
  }
  const starts: number[] = [];
  let dst = at;
  for (const base of bases) {
    starts.push(dst);
    if (!copy) {
      dst += rows * cols;
      continue;
    }
    for (let i = 0; i < rows; i++, dst += cols) {
      const src = base + i * rs;
      if (cs === 1) heap.set(data.subarray(src, src + cols), dst);
      else for (let j = 0; j < cols; j++) heap[dst + j] = data[src + j * cs]!;
    }
  }
  return { rowStride: cols, colStride: 1, starts };
}

/** Runs entries [e0, e1), rows [r0, r1) of the batch as one job. */
function runPiece(
  rt: WasmRuntime, m: number, n: number, k: number, a: BatchOperand, b: BatchOperand, sharedB: boolean,
  e0: number, e1: number, r0: number, r1: number, c: Float32Array, out: OutputLayout, threads: number, bias: BiasRow | null,
): boolean {
  const entries = e1 - e0;
  const rows = r1 - r0;
  // The piece's C blocks in c; when they tile one span, C is laid out in the arena as in c
  // (any entry order and row stride) and copied out at once.
  const ldc = out.rowStride;
  const cStarts = shifted(out.offsets, e0, e1, r0 * ldc);
  let lo = Infinity;
  let hi = -Infinity;
  for (const o of cStarts) {
    if (o < lo) lo = o;
    if (o > hi) hi = o;
  }
  hi += (rows - 1) * ldc + n - 1;
  const tiled = hi - lo + 1 === entries * rows * n;
  const aBases = shifted(a.offsets, e0, e1, r0 * a.rowStride);
  const bBases = sharedB ? [b.offsets[0]!] : shifted(b.offsets, e0, e1, 0);
  const panels = Math.ceil(n / NR);
  const packedStride = align(panels * NR * k * 4);
  let mc = Math.min(MC_MAX, Math.ceil(rows / MR) * MR);
  let packChunks = 1;
  if (threads > 1) {
    // Enough tasks that a thread slowed by the machine does not hold up the job.
    const perEntry = Math.ceil((tuning.tasksPerThread * threads) / entries);
    mc = Math.max(4 * MR, Math.min(mc, Math.ceil(rows / perEntry / MR) * MR));
    packChunks = Math.min(panels, Math.max(1, Math.ceil((2 * threads) / bBases.length)));
  }
  const chunkPanels = Math.ceil(panels / packChunks);
  const rowBlocks = Math.ceil(rows / mc);
  const blocks = entries * rowBlocks;
  // With workers, the caller copies A in while they pack B, and copies each finished row block
  // of C out while they compute the rest (when a block is one span of c: rows n apart).
  const overlap = threads > 1;
  const drained = overlap && ldc === n;
  const aPlan = plan(a, aBases, rows, k);
  const bPlan = plan(b, bBases, k, n);
  // Arena, in order: table | per-block done flags | bias | packed B | C | A | B.
  const table = rt.arena;
  const flags = table + align(entries * 12);
  const biasPtr = flags + align(blocks * 4);
  const packedB = biasPtr + (bias === null ? 0 : align(panels * NR * 4));
  const cBase = packedB + bBases.length * packedStride;
  const cPtr = cBase + (tiled ? 4 * parityShift(c, lo, cBase / 4) : 0); // C copied out at once
  const aPtr = cBase + align(entries * rows * n * 4 + 4);
  const bPtr = aPtr + align(aPlan.size * 4);
  if (!reserve(rt, bPtr + bPlan.size * 4 - rt.arena)) return false;
  if (bias !== null) {
    rt.f32.set(bias.data.subarray(bias.offset, bias.offset + n), biasPtr / 4);
    rt.f32.fill(0, biasPtr / 4 + n, biasPtr / 4 + panels * NR); // a whole last panel's worth
  }
  const pb = place(rt.f32, b, bBases, k, n, bPlan, bPtr / 4, true);
  const pa = place(rt.f32, a, aBases, rows, k, aPlan, aPtr / 4, !overlap);
  const i32 = rt.i32;
  // Each C_e's first element in the heap.
  const cHeap = new Array<number>(entries);
  for (let e = 0; e < entries; e++) {
    cHeap[e] = cPtr / 4 + (tiled ? cStarts[e]! - lo : e * rows * n);
    i32[table / 4 + 3 * e] = pa.starts[e]! * 4;
    i32[table / 4 + 3 * e + 1] = pb.starts[sharedB ? 0 : e]! * 4;
    i32[table / 4 + 3 * e + 2] = cHeap[e]! * 4;
  }
  if (drained) i32.fill(0, flags / 4, flags / 4 + blocks);
  let firstPending = 0;
  /** Copies out every row block whose task has ended (flag 1) and marks it copied (2). */
  const drain = () => {
    const heap = rt.f32;
    for (let idx = firstPending; idx < blocks; idx++) {
      if (Atomics.load(i32, flags / 4 + idx) !== 1) continue;
      i32[flags / 4 + idx] = 2;
      const e = Math.floor(idx / rowBlocks);
      const row = (idx - e * rowBlocks) * mc;
      const from = row * n;
      const to = Math.min(rows, row + mc) * n;
      c.set(heap.subarray(cHeap[e]! + from, cHeap[e]! + to), cStarts[e]! + from);
    }
    while (firstPending < blocks && i32[flags / 4 + firstPending] === 2) firstPending++;
  };
  runJob(rt, {
    m: rows, n, k,
    aRowStride: pa.rowStride, aColStride: pa.colStride, bRowStride: pb.rowStride, bColStride: pb.colStride,
    ldc: tiled ? ldc : n, entries, mc, packChunks: Math.ceil(panels / chunkPanels), chunkPanels, packedB, packedStride, table, sharedB,
    bias: bias === null ? 0 : biasPtr,
  }, threads, {
    fill: overlap ? () => place(rt.f32, a, aBases, rows, k, aPlan, aPtr / 4, true) : undefined,
    drain: drained ? drain : undefined,
    taskDone: drained ? flags : 0,
  });
  if (drained) return true;
  const heap = rt.f32;
  if (tiled) c.set(heap.subarray(cPtr / 4, cPtr / 4 + entries * rows * n), lo);
  else {
    for (let e = 0; e < entries; e++) {
      const src = cHeap[e]!;
      if (ldc === n) c.set(heap.subarray(src, src + rows * n), cStarts[e]!);
      else for (let i = 0; i < rows; i++) c.set(heap.subarray(src + i * n, src + i * n + n), cStarts[e]! + i * ldc);
    }
  }
  return true;
}
