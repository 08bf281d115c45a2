/**
 * @file The fused Adam/AdamW step (kernels/adam.ts) against the formula evaluated in float64 the
 * way @typegrad/optim's loop does, bit for bit, on odd sizes across chunk edges with zero, tiny
 * and large values; and where it declines (js backend, float64, strided, small).
 */
import { afterAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../backend/index.js";
import { kernelTuning } from "../backend/wasm-kernels.js";
import { array } from "../create.js";
import { manualSeed, randn } from "../random.js";
import { adamStep, type AdamStepCoefficients } from "./adam.js";

/** optim's loop: float64 arithmetic, m and v rounded to float32 when stored. */
function reference(P: Float32Array, G: Float32Array, M: Float32Array, V: Float32Array, c: AdamStepCoefficients): void {
  const omb1 = 1 - c.beta1;
  const omb2 = 1 - c.beta2;
  for (let i = 0; i < P.length; i++) {
    const param = P[i]! * c.decay;
    const g = c.sign * G[i]! + c.l2 * param;
    const m = Math.fround(M[i]! * c.beta1 + omb1 * g);
    const v = Math.fround(V[i]! * c.beta2 + omb2 * g * g);
    M[i] = m;
    V[i] = v;
    P[i] = param + (c.negStepSize * m) / (Math.sqrt(v) * c.invBc2Sqrt + c.eps);
  }
}

const saved = { backend: getBackend(), chunk: kernelTuning.chunkElements };
afterAll(() => {
  setBackend(saved.backend);
  kernelTuning.chunkElements = saved.chunk;
});

describe("adamStep (fused, wasm)", () => {
  const coefficients: AdamStepCoefficients[] = [
    { decay: 1 - 3e-5, l2: 0, sign: 1, beta1: 0.9, beta2: 0.999, negStepSize: -3e-3 / 0.1, invBc2Sqrt: 1 / Math.sqrt(0.001), eps: 1e-8 },
    { decay: 1, l2: 0.1, sign: -1, beta1: 0.8, beta2: 0.95, negStepSize: -0.05, invBc2Sqrt: 1 / Math.sqrt(0.0975), eps: 1e-6 },
  ];

  it("gives the bits of the float64 loop on odd sizes, across chunks, with zero, tiny and large values", () => {
    setBackend("wasm");
    manualSeed(2);
    for (const [n, chunk] of [[1025, 16384], [4099, 1000], [20001, 16384]] as const) {
      kernelTuning.chunkElements = chunk;
      for (const c of coefficients) {
        const values = (scale: number) => Float32Array.from(randn([n]).toArray() as Float32Array, (x, i) => (i % 17 === 0 ? 0 : i % 13 === 0 ? x * 1e-30 : x * scale));
        const [P, G] = [values(1), values(3)];
        const [M, V] = [values(0.1), values(0.01).map(Math.abs)];
        const want = [P, G, M, V].map((a) => a.slice());
        reference(want[0]!, want[1]!, want[2]!, want[3]!, c);
        const [p, g, m, v] = [P, G, M, V].map((a) => array(a, { dtype: "float32" }));
        expect(adamStep(p!, g!, m!, v!, c)).toBe(true);
        expect(Array.from(p!.toArray())).toEqual(Array.from(want[0]!));
        expect(Array.from(m!.toArray())).toEqual(Array.from(want[2]!));
        expect(Array.from(v!.toArray())).toEqual(Array.from(want[3]!));
        expect(Array.from(g!.toArray())).toEqual(Array.from(G));
      }
    }
  });

  it("declines (writes nothing) off the wasm backend, for float64, strided or small arrays", () => {
    const c = coefficients[0]!;
    const four = (make: () => ReturnType<typeof randn>) => [make(), make(), make(), make()] as const;
    setBackend("wasm");
    const f64 = four(() => randn([2048], { dtype: "float64" }));
    const strided = four(() => randn([64, 64]).transpose(0, 1));
    const small = four(() => randn([100]));
    for (const [p, g, m, v] of [f64, strided, small]) {
      const before = Array.from(p.toArray());
      expect(adamStep(p, g, m, v, c)).toBe(false);
      expect(Array.from(p.toArray())).toEqual(before);
    }
    setBackend("js");
    const [p, g, m, v] = four(() => randn([2048]));
    expect(adamStep(p, g, m, v, c)).toBe(false);
  });
});
