/**
 * @file Op infos of the unary elementwise ops (and cast, square): one random tensor of up to 4
 * dims in a safe domain (kinks of abs/relu shifted away from 0, positive inputs for log, sqrt,
 * rsqrt, reciprocal; log1p inside (-1, 1)), checked against Math element by element.
 */
import fc from "fast-check";
import { primitiveOps, type Tensor } from "@typegrad/autograd";
import { DOMAINS, tensor, type GradDomain } from "../arbitraries.js";
import { domainText, erfRef, makeSample, mapRef, shapes, type OpInfo } from "./common.js";

/** An elementwise op with a scalar reference `f`, sampled from `domain`. */
function unary(op: string, domain: GradDomain, call: (x: Tensor) => Tensor, f: (v: number) => number): OpInfo {
  return {
    domain: domainText(domain),
    gradgrad: true,
    sample: tensor({ shape: shapes(), domain }).map((x) =>
      makeSample({ op, inputs: [x], call: (a) => call(a), reference: (a) => mapRef(a, f) }),
    ),
  };
}

const SQRT1_2 = Math.SQRT1_2;
const geluRef = (x: number) => 0.5 * x * (1 + erfRef(x * SQRT1_2));
const geluTanhRef = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

/**
 * cast: float64 -> float32 -> float64 (rounding to float32 and back, gradient the identity),
 * or float64 -> float64 through the primitive (Tensor.to skips a no-op cast). The round trip
 * is a step function at float32 resolution (~1.2e-7 near 1), so its gradcheck uses eps 1e-3
 * and atol 1e-3: the rounding error of a difference, over 2 eps, stays under 1.2e-4.
 */
const cast: OpInfo = {
  domain: domainText(DOMAINS.any),
  gradgrad: true,
  sample: tensor({ shape: shapes(), domain: DOMAINS.any }).chain((x) =>
    fc.constantFrom(
      makeSample({
        op: "cast",
        inputs: [x],
        args: { via: "float32" },
        call: (a) => a.to("float32").to("float64"),
        reference: (a) => mapRef(a, Math.fround),
        grad: { eps: 1e-3, atol: 1e-3, rtol: 1e-3 },
      }),
      makeSample({
        op: "cast",
        inputs: [x],
        args: { to: "float64" },
        call: (a) => primitiveOps.cast.apply([a], { dtype: "float64" }),
        reference: (a) => mapRef(a, (v) => v),
      }),
    ),
  ),
};


/** Unary op infos. */
export const UNARY_INFOS = {
  neg: unary("neg", DOMAINS.any, (x) => x.neg(), (v) => -v),
  abs: unary("abs", DOMAINS.nonzero, (x) => x.abs(), Math.abs),
  exp: unary("exp", DOMAINS.any, (x) => x.exp(), Math.exp),
  log: unary("log", DOMAINS.positive, (x) => x.log(), Math.log),
  log1p: unary("log1p", DOMAINS.unit, (x) => x.log1p(), Math.log1p),
  sqrt: unary("sqrt", DOMAINS.positive, (x) => x.sqrt(), Math.sqrt),
  rsqrt: unary("rsqrt", DOMAINS.positive, (x) => x.rsqrt(), (v) => 1 / Math.sqrt(v)),
  sin: unary("sin", DOMAINS.any, (x) => x.sin(), Math.sin),
  cos: unary("cos", DOMAINS.any, (x) => x.cos(), Math.cos),
  tanh: unary("tanh", DOMAINS.any, (x) => x.tanh(), Math.tanh),
  sigmoid: unary("sigmoid", DOMAINS.any, (x) => x.sigmoid(), (v) => 1 / (1 + Math.exp(-v))),
  relu: unary("relu", DOMAINS.nonzero, (x) => x.relu(), (v) => Math.max(v, 0)),
  erf: unary("erf", DOMAINS.any, (x) => x.erf(), erfRef),
  reciprocal: unary("reciprocal", DOMAINS.positive, (x) => x.reciprocal(), (v) => 1 / v),
  gelu: unary("gelu", DOMAINS.any, (x) => x.gelu(), geluRef),
  geluTanh: unary("geluTanh", DOMAINS.any, (x) => x.gelu({ approximate: "tanh" }), geluTanhRef),
  square: unary("square", DOMAINS.any, (x) => x.square(), (v) => v * v),
  cast,
} satisfies Record<string, OpInfo>;
