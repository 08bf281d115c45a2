/**
 * @file Sums over leading rows (a bias gradient: g [rows, n] summed over rows) into float64
 * accumulators: acc[j] += src[r][j] row after row, exactly the additions, in the order, of the
 * TypeScript kernel's loop, so the sums have the same bits.
 */
import { hi, lo } from "./f64-lanes";

/** acc[j] (n float64 at acc) += the `rows` rows of n float32 at src, in row order. */
export function sumRows(src: usize, rows: i32, n: i32, acc: usize): void {
  const n4 = n & ~3;
  const rowBytes = <usize>n << 2;
  let r = 0;
  // Four rows per pass: each accumulator is loaded and stored once for four additions.
  for (; r + 4 <= rows; r += 4) {
    const row = src + <usize>r * rowBytes;
    for (let j = 0; j < n4; j += 4) {
      const p = row + (<usize>j << 2);
      const a = acc + (<usize>j << 3);
      let s0 = v128.load(a);
      let s1 = v128.load(a, 16);
      let x = v128.load(p);
      s0 = f64x2.add(s0, lo(x));
      s1 = f64x2.add(s1, hi(x));
      x = v128.load(p + rowBytes);
      s0 = f64x2.add(s0, lo(x));
      s1 = f64x2.add(s1, hi(x));
      x = v128.load(p + 2 * rowBytes);
      s0 = f64x2.add(s0, lo(x));
      s1 = f64x2.add(s1, hi(x));
      x = v128.load(p + 3 * rowBytes);
      s0 = f64x2.add(s0, lo(x));
      s1 = f64x2.add(s1, hi(x));
      v128.store(a, s0);
      v128.store(a, s1, 16);
    }
    for (let j = n4; j < n; j++) {
      const p = row + (<usize>j << 2);
      const a = acc + (<usize>j << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(p) + <f64>load<f32>(p + rowBytes) + <f64>load<f32>(p + 2 * rowBytes) + <f64>load<f32>(p + 3 * rowBytes));
    }
  }
  for (; r < rows; r++) {
    const row = src + <usize>r * rowBytes;
    for (let j = 0; j < n4; j += 4) {
      const a = acc + (<usize>j << 3);
      const x = v128.load(row + (<usize>j << 2));
      v128.store(a, f64x2.add(v128.load(a), lo(x)));
      v128.store(a, f64x2.add(v128.load(a, 16), hi(x)), 16);
    }
    for (let j = n4; j < n; j++) {
      const a = acc + (<usize>j << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(row + (<usize>j << 2)));
    }
  }
}
