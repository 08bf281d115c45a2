/**
 * @file Op infos of the selection ops: where (a bool condition and two operands, all three of
 * broadcastable shapes, or a JS number in place of one operand), maskedFill (a bool mask that
 * broadcasts to the input) and clamp (bounds given as numbers, tensors of broadcastable shapes,
 * or absent). clamp's input and bounds come from grids of different phases, so no value ever
 * sits on a bound and the bounds never tie.
 */
import fc from "fast-check";
import { Tensor, where } from "@typegrad/autograd";
import { DOMAINS, tensor } from "../arbitraries.js";
import {
  boolTensor,
  broadcastShapes,
  broadcastsTo,
  domainText,
  gridTensor,
  gridValue,
  makeSample,
  mapRef,
  real,
  scalar,
  shapes,
  zipRef,
  type OpInfo,
} from "./common.js";

const choose = (c: number, a: number, b: number) => (c ? a : b);

/** where(cond, a, b) with tensors of three broadcastable shapes, or one operand a number. */
const whereInfo: OpInfo = {
  domain: domainText(DOMAINS.any),
  gradgrad: true,
  sample: fc.oneof(
    {
      weight: 2,
      arbitrary: broadcastShapes(3)
        .chain(([sc, sa, sb]) => fc.tuple(boolTensor(sc!), tensor({ shape: sa! }), tensor({ shape: sb! }), fc.boolean()))
        .map(([c, a, b, method]) =>
          makeSample({
            op: "where",
            inputs: [c, a, b],
            args: { form: method ? "a.where(cond, b)" : "where(cond, a, b)" },
            call: (cond, x, y) => (method ? x.where(cond, y) : where(cond, x, y)),
            reference: (cond, x, y) => zipRef([cond, x, y], choose),
          }),
        ),
    },
    broadcastShapes(2)
      .chain(([sc, sa]) => fc.tuple(boolTensor(sc!), tensor({ shape: sa! }), scalar(DOMAINS.any), fc.boolean()))
      .map(([c, a, k, left]) =>
        makeSample({
          op: "where",
          inputs: [c, a],
          args: left ? { a: k } : { b: k },
          call: (cond, x) => (left ? where(cond, k, x) : where(cond, x, k)),
          reference: (cond, x) => zipRef([cond, left ? k : x, left ? x : k], choose),
        }),
      ),
  ),
};

/** maskedFill(x, mask, value), the mask broadcasting to x's shape. */
const maskedFill: OpInfo = {
  domain: domainText(DOMAINS.any),
  gradgrad: true,
  sample: shapes()
    .chain((s) => fc.tuple(tensor({ shape: s }), broadcastsTo(s).chain(boolTensor), real(-3, 3)))
    .map(([x, mask, value]) =>
      makeSample({
        op: "maskedFill",
        inputs: [x, mask],
        args: { value },
        call: (a, m) => a.maskedFill(m, value),
        reference: (a, m) => zipRef([a, m], (v, b) => (b ? value : v)),
      }),
    ),
};

type BoundKind = "none" | "number" | "tensor";

/** A clamp bound of the given kind, on the grid of `phase`. */
function bound(kind: BoundKind, shape: number[], phase: number): fc.Arbitrary<Tensor | number | null> {
  if (kind === "none") return fc.constant(null);
  if (kind === "number") return gridValue(phase);
  return gridTensor(shape, phase);
}

/** clamp with a min and a max of the given kinds (not both absent). */
function clampSample(minKind: BoundKind, maxKind: BoundKind) {
  return broadcastShapes(3)
    .chain(([sx, sl, sh]) => fc.tuple(gridTensor(sx!, 0.05), bound(minKind, sl!, 0.15), bound(maxKind, sh!, 0.25)))
    .map(([x, lo, hi]) => {
      const tensors = [x, ...[lo, hi].filter((b): b is Tensor => b instanceof Tensor)];
      // Rebuilds (min, max) from the tensor inputs, in the order they were listed.
      const bounds = (ts: Tensor[]) => {
        let k = 1;
        const pick = (b: Tensor | number | null) => (b instanceof Tensor ? ts[k++]! : b);
        const l = pick(lo);
        return [l, pick(hi)] as const;
      };
      return makeSample({
        op: "clamp",
        inputs: tensors,
        args: { min: lo instanceof Tensor ? "tensor" : lo, max: hi instanceof Tensor ? "tensor" : hi },
        call: (...ts) => {
          const [l, h] = bounds(ts);
          return ts[0]!.clamp(l, h);
        },
        reference: (...ts) => {
          const [l, h] = bounds(ts);
          if (l === null && h === null) return mapRef(ts[0]!, (v) => v);
          return zipRef([ts[0]!, l ?? -Infinity, h ?? Infinity], (v, a, b) => Math.min(Math.max(v, a), b));
        },
      });
    });
}

const KINDS: readonly BoundKind[] = ["none", "number", "tensor"];

/** clamp: every combination of absent, number and tensor bounds except both absent. */
const clamp: OpInfo = {
  domain: "grid values: x at 0.3k + 0.05, min at 0.3k + 0.15, max at 0.3k + 0.25 (+ jitter < 0.04): no ties",
  gradgrad: true,
  sample: fc.oneof(...KINDS.flatMap((lo) => KINDS.filter((hi) => lo !== "none" || hi !== "none").map((hi) => clampSample(lo, hi)))),
};

/** Selection op infos. */
export const SELECTION_INFOS = { where: whereInfo, maskedFill, clamp } satisfies Record<string, OpInfo>;
