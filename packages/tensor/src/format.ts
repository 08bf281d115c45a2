/**
 * @file PyTorch-style text of an NDArray: a port of PyTorch 1.13's torch/_tensor_str.py for
 * strided tensors. One formatter picks integer / fixed / scientific mode and a common width
 * from the (summarized) elements; rows then wrap at the line width. Numbers round like Python's
 * `'{:.4f}'` / `'{:.4e}'` (half-even on exact ties). Dtype suffixes drop `torch.`, and int32
 * plays the role of PyTorch's default int64 (no suffix unless the tensor is empty).
 */
import type { DType } from "./dtype.js";
import type { NDArray } from "./ndarray.js";

interface Formatter {
  readonly width: number;
  format(value: number): string;
}

interface Settings {
  readonly summarize: boolean;
  readonly edgeItems: number;
  readonly lineWidth: number;
  readonly precision: number;
}

/** PyTorch-style text of an array, e.g. `tensor([[1., 2.]], dtype=float64)`, abbreviated when large. */
export function formatNDArray(
  a: NDArray,
  options: { threshold?: number; edgeItems?: number; lineWidth?: number; precision?: number } = {},
): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const lineWidth = options.lineWidth ?? 80;
  const suffixes: string[] = [];
  let body: string;
  if (a.size === 0) {
    // As PyTorch (and NumPy): the shape is shown unless it is (0,), and the dtype unless it is
    // the default float, because no element hints at it.
    if (a.ndim !== 1) suffixes.push(`size=(${a.shape.join(", ")})`);
    if (a.dtype !== "float32") suffixes.push(`dtype=${a.dtype}`);
    body = "[]";
  } else {
    if (a.dtype === "float64") suffixes.push("dtype=float64");
    body = tensorStr(a, indent, {
      summarize: a.size > (options.threshold ?? 1000),
      edgeItems: options.edgeItems ?? 3,
      lineWidth,
      precision: options.precision ?? 4,
    });
  }
  return addSuffixes(prefix + body, suffixes, indent, lineWidth);
}

/** `_add_suffixes`, including its off-by-one line length (kept so wrapping matches PyTorch). */
function addSuffixes(text: string, suffixes: readonly string[], indent: number, lineWidth: number): string {
  let out = text;
  let lastLineLen = text.length - text.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLineLen + suffix.length + 2 > lineWidth) {
      out += `,\n${" ".repeat(indent)}${suffix}`;
      lastLineLen = indent + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLineLen += suffix.length + 2;
    }
  }
  return `${out})`;
}

/** `_tensor_str` + `_tensor_str_with_formatter` + `_vector_str`, walking strides directly. */
function tensorStr(a: NDArray, indent: number, s: Settings): string {
  const { data, shape, strides, ndim } = a;
  // Indices shown along a dim; null marks the ellipsis.
  const pick = (size: number): (number | null)[] => {
    if (!s.summarize || size <= 2 * s.edgeItems) return range(0, size);
    return [...range(0, s.edgeItems), null, ...range(size - s.edgeItems, size)];
  };
  // The formatter sees only the elements that get printed (`get_summarized_data`).
  const shown: number[] = [];
  const gather = (d: number, base: number): void => {
    if (d === ndim) {
      shown.push(data[base]!);
      return;
    }
    for (const i of pick(shape[d]!)) if (i !== null) gather(d + 1, base + i * strides[d]!);
  };
  gather(0, a.offset);
  const fmt = makeFormatter(shown, a.dtype, s.precision);

  const render = (d: number, base: number, ind: number): string => {
    if (d === ndim) return fmt.format(data[base]!);
    const items = pick(shape[d]!);
    if (d === ndim - 1) {
      const cells = items.map((i) => (i === null ? " ..." : fmt.format(data[base + i * strides[d]!]!)));
      const perLine = Math.max(1, Math.floor((s.lineWidth - ind) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let k = 0; k < cells.length; k += perLine) lines.push(cells.slice(k, k + perLine).join(", "));
      return `[${lines.join(`,\n${" ".repeat(ind + 1)}`)}]`;
    }
    const slices = items.map((i) => (i === null ? "..." : render(d + 1, base + i * strides[d]!, ind + 1)));
    return `[${slices.join(`,${"\n".repeat(ndim - d - 1)}${" ".repeat(ind + 1)}`)}]`;
  };
  return render(0, a.offset, indent);
}

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(end - start, 0) }, (_, k) => start + k);
}

/** `_Formatter`: chooses the mode and the common width from the shown elements. */
function makeFormatter(values: readonly number[], dtype: DType, precision: number): Formatter {
  if (dtype === "bool" || dtype === "int32") {
    const str = dtype === "bool" ? (v: number) => (v !== 0 ? "True" : "False") : (v: number) => String(v);
    const width = values.reduce((w, v) => Math.max(w, str(v).length), 1);
    return { width, format: (v) => str(v).padStart(width) };
  }
  let intMode = true;
  let sciMode = false;
  let width = 1;
  const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
  if (finite.length > 0) {
    let min = Infinity;
    let max = 0;
    for (const v of finite) {
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
      if (v !== Math.ceil(v)) intMode = false;
    }
    sciMode = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
    for (const v of finite) {
      // In integer mode the width counts the trailing "." that marks a float.
      const text = sciMode ? pyFormat(v, precision, true) : pyFormat(v, intMode ? 0 : precision, false);
      width = Math.max(width, text.length + (intMode && !sciMode ? 1 : 0));
    }
  }
  const format = (v: number): string => {
    if (sciMode) return pyFormat(v, precision, true).padStart(width);
    if (intMode) return (pyFormat(v, 0, false) + (Number.isFinite(v) ? "." : "")).padStart(width);
    return pyFormat(v, precision, false).padStart(width);
  };
  return { width, format };
}

/** Python's `'{:.Nf}'` (sci false) or `'{:.Ne}'` (sci true) of a double. */
function pyFormat(x: number, precision: number, sci: boolean): string {
  if (Number.isNaN(x)) return "nan"; // Python drops the sign of a NaN
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  // JS drops the sign of -0; Python keeps it ("-0.0000"), as it does for negatives rounding to 0.
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const ax = Math.abs(x);
  let body: string;
  if (!sci && ax >= 1e21) {
    // toFixed switches to exponent notation here; such doubles are integers, so BigInt is exact.
    body = BigInt(ax).toString() + (precision > 0 ? `.${"0".repeat(precision)}` : "");
  } else {
    // JS rounds exact ties away from zero, Python to even. A tie at N digits is exact at N + 1
    // digits with a final 5, so only those values take the slow exact path.
    const probe = sci ? ax.toExponential(precision + 1).split("e")[0]! : ax.toFixed(precision + 1);
    if (probe.endsWith("5")) body = roundHalfEven(ax, precision, sci);
    else body = sci ? ax.toExponential(precision) : ax.toFixed(precision);
  }
  // Python writes at least two exponent digits: 1.0000e-05, not 1.0000e-5.
  return sign + body.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Correctly rounded, ties-to-even decimal text of `ax >= 0` from its exact digits. */
function roundHalfEven(ax: number, precision: number, sci: boolean): string {
  // toExponential(100) is exact for every double whose expansion has at most 101 digits,
  // which covers every value that can sit exactly on a tie at these precisions.
  const [mantissa = "0", expText = "0"] = ax.toExponential(100).split("e");
  const digits = mantissa.replace(".", "");
  let exp = Number(expText);
  const keep = sci ? precision + 1 : exp + 1 + precision;
  let kept = digits.slice(0, Math.max(keep, 0));
  const rest = keep < 0 ? "0" : digits.slice(keep);
  const lastOdd = kept.length > 0 && Number(kept[kept.length - 1]) % 2 === 1;
  const first = rest[0] ?? "0";
  if (first > "5" || (first === "5" && (/[1-9]/.test(rest.slice(1)) || lastOdd))) kept = increment(kept);
  if (sci) {
    if (kept.length > precision + 1) {
      kept = kept.slice(0, -1);
      exp += 1;
    }
    const frac = precision > 0 ? `.${kept.slice(1)}` : "";
    return `${kept[0]}${frac}e${exp < 0 ? "-" : "+"}${Math.abs(exp)}`;
  }
  const whole = kept.padStart(precision + 1, "0");
  return precision > 0 ? `${whole.slice(0, -precision)}.${whole.slice(-precision)}` : whole;
}

/** Adds one to a decimal digit string ("" counts as 0): "129" -> "130", "99" -> "100". */
function increment(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === "9") i--;
  if (i < 0) return `1${"0".repeat(digits.length)}`;
  return digits.slice(0, i) + String(Number(digits[i]) + 1) + "0".repeat(digits.length - i - 1);
}
