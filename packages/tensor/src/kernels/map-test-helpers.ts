/**
 * @file Reference arithmetic shared by the elementwise kernel tests (not exported): C's `pow`
 * from the special cases of C99 Annex F.10.4.4, and int32 products and powers computed exactly
 * with BigInt and reduced modulo 2^32, never with the Math.imul loops under test.
 */

/** C99 `pow`: pow(+1, y) = 1 and pow(x, ±0) = 1 even for NaN, pow(-1, ±inf) = 1, else Math.pow. */
export function cPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** The int32 that C's wrapping `int32_t` arithmetic leaves of an exact integer. */
function wrap32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** x * y in int32 arithmetic: the exact product modulo 2^32. */
export function mulInt32Ref(x: number, y: number): number {
  return wrap32(BigInt(x) * BigInt(y));
}

/**
 * x ** y in int32 arithmetic, as PyTorch's integer pow: the exact power modulo 2^32 for y >= 0;
 * for y < 0 the power 1 / x^|y| truncated toward zero (±1 for x = ±1, else 0; 0 for x = 0).
 */
export function powInt32Ref(x: number, y: number): number {
  if (y < 0) return x === 0 ? 0 : Math.trunc(1 / Math.pow(x, -y)) + 0;
  const m = 1n << 32n;
  let result = 1n;
  let base = ((BigInt(x) % m) + m) % m;
  for (let e = BigInt(y); e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return wrap32(result);
}
