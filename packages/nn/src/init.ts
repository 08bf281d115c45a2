/**
 * @file Parameter initialization, in place and without recording a graph, from the seeded
 * generator (`manualSeed`). Fans, gains and bounds follow torch.nn.init exactly; the random
 * streams are typegrad's own (so values differ from PyTorch's for the same seed).
 */
import { fromArray, noGrad, type Tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";


type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** The recommended gain for a nonlinearity. Matches `nn.init.calculate_gain`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d": case "sigmoid": return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu": return 3 / 4;
    default: throw new RangeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight of >= 2 dims. Matches `_calculate_fan_in_and_fan_out`. */
export function fans(t: Tensor, op = "init"): [number, number] {
  if (t.ndim < 2) throw new RangeError(`${op}: fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape [${t.shape.join(",")}])`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function floatDType(t: Tensor, op: string): "float32" | "float64" {
  if (t.dtype !== "float32" && t.dtype !== "float64") throw new TypeError(`${op}: expected a float tensor, got ${t.dtype}`);
  return t.dtype;
}

function write(t: Tensor, values: K.NDArray): Tensor {
  noGrad(() => t.copy_(fromArray(values)));
  return t;
}

/** Fills with U(a, b). Matches `nn.init.uniform_`. */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  if (!(a <= b)) throw new RangeError(`uniform_: expects a <= b, got ${a} and ${b}`);
  const u = K.rand(t.shape, { dtype: floatDType(t, "uniform_") });
  return write(t, K.add(K.mul(u, b - a), a));
}

/** Fills with N(mean, std^2). Matches `nn.init.normal_`. */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal_: std must be non-negative, got ${std}`);
  const z = K.randn(t.shape, { dtype: floatDType(t, "normal_") });
  return write(t, K.add(K.mul(z, std), mean));
}

/** Fills with a constant. Matches `nn.init.constant_`. */
export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}

/** Fills with zeros. Matches `nn.init.zeros_`. */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);

/** Fills with ones. Matches `nn.init.ones_`. */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). Matches `nn.init.xavier_uniform_`. */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t, "xavierUniform_");
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** N(0, gain^2 * 2 / (fanIn + fanOut)). Matches `nn.init.xavier_normal_`. */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t, "xavierNormal_");
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** Options of the Kaiming initializers. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (default 0). */
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, options: KaimingOptions, op: string): number {
  const [fanIn, fanOut] = fans(t, op);
  const mode = options.mode ?? "fan_in";
  if (mode !== "fan_in" && mode !== "fan_out") throw new RangeError(`${op}: mode must be "fan_in" or "fan_out", got ${JSON.stringify(mode)}`);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  return calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0) / Math.sqrt(fan);
}

/** U(-b, b) with b = gain * sqrt(3 / fan). Matches `nn.init.kaiming_uniform_`. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options, "kaimingUniform_");
  return uniform_(t, -bound, bound);
}

/** N(0, gain^2 / fan). Matches `nn.init.kaiming_normal_`. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options, "kaimingNormal_"));
}

/**
 * N(mean, std^2) truncated to [a, b], by inverting the normal CDF on a uniform draw between
 * the bounds' CDF values (PyTorch's method). Matches `nn.init.trunc_normal_`.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  if (!(a < b) || !(std > 0)) throw new RangeError(`truncNormal_: expects a < b and std > 0, got a ${a}, b ${b}, std ${std}`);
  const cdf = (x: number) => (1 + K.scalar.erf(x / Math.SQRT2)) / 2;
  const lo = 2 * cdf((a - mean) / std) - 1;
  const hi = 2 * cdf((b - mean) / std) - 1;
  const u = K.rand(t.shape, { dtype: "float64" });
  const out = K.empty(t.shape, floatDType(t, "truncNormal_"));
  const src = u.data;
  for (let i = 0; i < src.length; i++) {
    const v = mean + std * Math.SQRT2 * erfinv(lo + (hi - lo) * src[i]!);
    out.data[i] = Math.min(Math.max(v, a), b);
  }
  return write(t, out);
}

/** Inverse of erf on (-1, 1): Giles' approximation refined by Newton steps on the exact erf. */
export function erfinv(y: number): number {
  if (y <= -1) return -Infinity;
  if (y >= 1) return Infinity;
  const w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    const s = w - 2.5;
    x = y * [2.81022636e-8, 3.4327394e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
      .reduce((p, c) => p * s + c, 0);
  } else {
    const s = Math.sqrt(w) - 3;
    x = y * [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]
      .reduce((p, c) => p * s + c, 0);
  }
  for (let i = 0; i < 2; i++) x -= (K.scalar.erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}
