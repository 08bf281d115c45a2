/**
 * @file The backward engine. From the roots it discovers the graph with an explicit stack (no
 * recursion, so a 100,000-op chain is fine), counts each node's consumers, and runs the
 * nodes in topological order (Kahn): a node runs once every gradient for its output has
 * arrived. Rule results are checked (count, shape) and summed to each input's shape here,
 * once (`sumTo`), then cast to the input's dtype. Leaves accumulate into `.grad`; with
 * `grad()` the requested inputs capture their gradients instead, and only the part of the
 * graph that reaches them runs.
 */
import { isAnomalyEnabled, enableGrad, noGrad } from "./grad-mode.js";
import { GradLedger, isTrustedRule } from "./grad-ledger.js";
import { Node, type Edge } from "./node.js";
import type { OpContext } from "./ops/define.js";
import { Tensor } from "./tensor.js";
import type { NDArray } from "@typegrad/tensor";

/** Options of `backward`. */
export interface BackwardOptions {
  /** Keep saved values so backward can run through the graph again (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients (default false). */
  createGraph?: boolean;
}

/** Options of `grad`. */
export interface GradOptions extends BackwardOptions {
  /** Gradients of the outputs (default: ones for single-element outputs). */
  gradOutputs?: readonly (Tensor | null)[];
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/**
 * Sums a gradient over the dims that broadcasting added or stretched, giving `shape`:
 * the one place where un-broadcasting happens.
 */
export function sumTo(grad: Tensor, shape: readonly number[], op: string, input: number): Tensor {
  const gs = grad.shape;
  if (gs.length === shape.length && gs.every((s, d) => s === shape[d])) return grad;
  const lead = gs.length - shape.length;
  if (lead < 0) {
    throw new Error(
      `autograd: backward of '${op}' returned a gradient of shape [${gs.join(",")}] for input ${input} of shape [${shape.join(",")}]`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < gs.length; d++) {
    const want = d < lead ? 1 : shape[d - lead]!;
    // Size-1 dims need no summing (dropping them is a reshape).
    if ((d < lead || want === 1) && gs[d] !== 1) dims.push(d);
    else if (want !== gs[d]) {
      throw new Error(
        `autograd: backward of '${op}' returned a gradient of shape [${gs.join(",")}] for input ${input} of shape [${shape.join(",")}]`,
      );
    }
  }
  const summed = dims.length > 0 ? grad.sum(dims, true) : grad;
  return lead > 0 ? summed.reshape(shape) : summed;
}

/** Where backward delivers gradients: into leaves' `.grad`, or captured for `grad()`. */
interface Targets {
  readonly leaves: Map<Tensor, Tensor | null>;
  readonly nodes: Map<Node, Tensor | null>;
}

/** Computes gradients of `roots` (seeded with `rootGrads`) and delivers them. */
function run(roots: readonly Tensor[], rootGrads: readonly Tensor[], options: BackwardOptions, targets: Targets | null): void {
  const createGraph = options.createGraph ?? false;
  // A recorded backward keeps its gradients in the new graph: none can be reused.
  const ledger = createGraph ? null : new GradLedger();
  try {
    (createGraph ? enableGrad : noGrad)(() => runNodes(roots, rootGrads, options, targets, ledger));
  } finally {
    ledger?.close();
  }
}

function runNodes(roots: readonly Tensor[], rootGrads: readonly Tensor[], options: BackwardOptions, targets: Targets | null, ledger: GradLedger | null): void {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const pending = new Map<Node, Tensor>();
  const addPending = (node: Node, g: Tensor): void => {
    const prev = pending.get(node);
    pending.set(node, prev === undefined ? g : ledger ? ledger.accumulate(prev, g) : prev.add(g));
  };
  const rootNodes: Node[] = [];
  roots.forEach((root, i) => {
    const g = rootGrads[i]!;
    ledger?.hold(g);
    if (root.gradFn) {
      addPending(root.gradFn, g);
      rootNodes.push(root.gradFn);
    } else deliverToLeaf(root, g, targets, createGraph, ledger);
  });
  // backward() runs every reachable node; grad() only those that lead to a requested input.
  const needed = targets ? neededNodes(topologicalOrder(rootNodes), targets) : null;
  const consumers = countConsumers(rootNodes, needed);
  const ready = [...new Set(rootNodes)].filter((n) => !consumers.has(n) && (!needed || needed.has(n)));
  while (ready.length > 0) {
    const node = ready.pop()!;
    const received = pending.get(node);
    pending.delete(node);
    let grad = received;
    const trusted = isTrustedRule(node.spec);
    const hooked = node.hooks !== null && node.hooks.length > 0;
    if (grad && ledger && (hooked || !trusted || targets?.nodes.has(node))) ledger.escape(grad);
    if (grad && hooked) {
      for (const hook of node.hooks!) grad = hook(grad) ?? grad;
      ledger?.escape(grad);
    }
    if (grad && targets?.nodes.has(node)) targets.nodes.set(node, grad);
    const inputGrads = grad ? callRule(node, grad) : null;
    if (!retainGraph) node.free(trusted); // a built-in forward keeps only arrays it made
    node.next.forEach((edge, i) => {
      const g = inputGrads?.[i] ?? null;
      if (edge instanceof Node && needed && !needed.has(edge)) return;
      if (g && edge && ledger) {
        ledger.hold(g);
        if (!trusted) ledger.escape(g); // a custom rule may keep what it returned
      }
      if (edge instanceof Node) {
        if (g) addPending(edge, g);
        const left = consumers.get(edge)! - 1;
        consumers.set(edge, left);
        if (left === 0) ready.push(edge);
      } else if (edge && g) deliverToLeaf(edge, g, targets, createGraph, ledger);
    });
    if (received && ledger) ledger.drop(received);
  }
}

/**
 * How many gradients each node waits for: one per edge into it from a reachable node (within
 * `needed` when given). Found with an explicit stack, so depth is no limit.
 */
function countConsumers(roots: readonly Node[], needed: Set<Node> | null): Map<Node, number> {
  const consumers = new Map<Node, number>();
  const stack = [...new Set(roots)].filter((n) => !needed || needed.has(n));
  const seen = new Set(stack);
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const edge of node.next) {
      if (!(edge instanceof Node) || (needed && !needed.has(edge))) continue;
      consumers.set(edge, (consumers.get(edge) ?? 0) + 1);
      if (!seen.has(edge)) {
        seen.add(edge);
        stack.push(edge);
      }
    }
  }
  return consumers;
}

/** Every node reachable from the roots, each after all nodes that feed it a gradient. */
function topologicalOrder(roots: readonly Node[]): Node[] {
  const indegree = countConsumers(roots, null);
  const seen = new Set<Node>(roots);
  for (const n of indegree.keys()) seen.add(n);
  const order: Node[] = [];
  const queue = [...seen].filter((n) => !indegree.has(n));
  while (queue.length > 0) {
    const node = queue.pop()!;
    order.push(node);
    for (const edge of node.next) {
      if (!(edge instanceof Node)) continue;
      const left = indegree.get(edge)! - 1;
      indegree.set(edge, left);
      if (left === 0) queue.push(edge);
    }
  }
  return order;
}

/** The nodes from which some target can be reached (walked children-first). */
function neededNodes(order: readonly Node[], targets: Targets): Set<Node> {
  const needed = new Set<Node>();
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    const reaches = (edge: Edge) => (edge instanceof Node ? needed.has(edge) : edge !== null && targets.leaves.has(edge));
    if (targets.nodes.has(node) || node.next.some(reaches)) needed.add(node);
  }
  return needed;
}

/** What a rule sees of its node; each part is looked up (saved values version-checked) when read. */
class RuleContext implements OpContext<unknown, readonly never[]> {
  constructor(private readonly node: Node) {}
  get inputs(): never {
    const node = this.node;
    const saved = node.savedInputs;
    if (!saved) throw new Error(`autograd: '${node.name}' did not save its inputs (add save: { inputs: true })`);
    return saved.map((s) => (s === null || typeof s === "number" ? s : node.unpack(s))) as never;
  }
  get output(): Tensor {
    const node = this.node;
    if (!node.savedOutput) throw new Error(`autograd: '${node.name}' did not save its output (add save: { output: true })`);
    return node.unpack(node.savedOutput);
  }
  get params(): unknown {
    return this.node.params;
  }
  get needsInputGrad(): boolean[] {
    return this.node.next.map((e) => e !== null);
  }
  get inputShapes(): (readonly number[])[] {
    return this.node.inputMeta.map((m) => m?.shape ?? []);
  }
  get inputStrides(): (readonly number[])[] {
    return this.node.inputMeta.map((m) => m?.strides ?? []);
  }
  get kept(): NDArray | null {
    return this.node.kept;
  }
}

/** Runs a node's rule and checks, un-broadcasts and casts what it returns. */
function callRule(node: Node, grad: Tensor): (Tensor | null)[] {
  if (node.freed) node.checkNotFreed();
  const ctx = new RuleContext(node);
  const result = node.spec.backward(grad, ctx as never);
  if (!Array.isArray(result) || result.length !== node.next.length) {
    throw new Error(`autograd: backward of '${node.name}' returned ${Array.isArray(result) ? result.length : "no"} gradients for ${node.next.length} inputs`);
  }
  return result.map((g: Tensor | null, i: number) => {
    const meta = node.inputMeta[i];
    if (!g || !meta || node.next[i] === null) return null;
    if (!(g instanceof Tensor)) throw new Error(`autograd: backward of '${node.name}' returned a non-tensor gradient for input ${i}`);
    let out = sumTo(g, meta.shape, node.name, i);
    if (out.dtype !== meta.dtype) out = out.to(meta.dtype);
    if (isAnomalyEnabled()) checkFinite(node, out, i);
    return out;
  });
}

function checkFinite(node: Node, grad: Tensor, input: number): void {
  const values = grad.array.toArray();
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k]!)) {
      throw new Error(
        `autograd anomaly: backward of '${node.name}' produced ${Number.isNaN(values[k]!) ? "NaN" : "Inf"} in the gradient of input ${input} ` +
          `(shape [${grad.shape.join(",")}]). The '${node.name}' op was created at:\n${node.stack ?? "(stack not recorded)"}`,
      );
    }
  }
}

/**
 * Gives a leaf its gradient: captured for grad(), else accumulated into `.grad` after its hooks.
 * A gradient the ledger holds (`grad` is held once more by the caller) is dropped here.
 */
function deliverToLeaf(leaf: Tensor, grad: Tensor, targets: Targets | null, createGraph: boolean, ledger: GradLedger | null): void {
  let g = grad;
  const hooks = leaf.leafHooks();
  if (ledger && (hooks.length > 0 || targets)) ledger.escape(grad);
  for (const hook of hooks) g = hook(g) ?? g;
  if (targets) {
    if (targets.leaves.has(leaf)) {
      const prev = targets.leaves.get(leaf);
      targets.leaves.set(leaf, prev ? prev.add(g) : g);
    }
  } else {
    // A private whole buffer becomes the first `.grad` as it is (else the leaf copies it).
    const adopt = ledger !== null && g === grad && leaf.grad === null && ledger.canAdopt(g);
    if (adopt) ledger.escape(g);
    leaf.accumulateGrad(g, createGraph, adopt);
  }
  ledger?.drop(grad);
}

function rootGradients(roots: readonly Tensor[], given: readonly (Tensor | null | undefined)[], op: string): Tensor[] {
  return roots.map((root, i) => {
    if (!root.requiresGrad) {
      throw new Error(`${op}: tensor ${i} does not require grad and has no gradFn (was it created under noGrad, or from tensors without requiresGrad?)`);
    }
    const g = given[i];
    if (g) {
      if (g.shape.length !== root.shape.length || g.shape.some((s, d) => s !== root.shape[d])) {
        throw new RangeError(`${op}: gradient of shape [${g.shape.join(",")}] for a tensor of shape [${root.shape.join(",")}]`);
      }
      return g;
    }
    if (root.numel() !== 1) {
      throw new RangeError(`${op}: a gradient can be created implicitly only for single-element outputs, got shape [${root.shape.join(",")}]`);
    }
    return Tensor.onesLike(root);
  });
}

/** Accumulates the gradients of `root` into the leaves it depends on. Matches `torch.Tensor.backward`. */
export function backward(root: Tensor, gradient?: Tensor | null, options: BackwardOptions = {}): void {
  run([root], rootGradients([root], [gradient], "backward"), options, null);
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than accumulated.
 * @example const [gx] = autograd.grad([loss], [x], { createGraph: true });
 * Matches `torch.autograd.grad`.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : outputs;
  const ins = inputs instanceof Tensor ? [inputs] : inputs;
  ins.forEach((x, i) => {
    if (!x.requiresGrad) throw new Error(`grad: input ${i} does not require grad`);
  });
  const targets: Targets = { leaves: new Map(), nodes: new Map() };
  for (const x of ins) {
    if (x.gradFn) targets.nodes.set(x.gradFn, null);
    else targets.leaves.set(x, null);
  }
  run(outs, rootGradients(outs, options.gradOutputs ?? [], "grad"), options, targets);
  return ins.map((x, i) => {
    const g = x.gradFn ? targets.nodes.get(x.gradFn)! : targets.leaves.get(x)!;
    if (g === null && !options.allowUnused) {
      throw new Error(`grad: input ${i} was not used to compute the outputs (pass { allowUnused: true } to get null for it)`);
    }
    return g === null || options.createGraph ? g : g.detach();
  });
}
