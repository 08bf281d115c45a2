/**
 * @file Module and Parameter. Parameters, buffers and child modules are registered explicitly
 * (`this.weight = this.registerParameter("weight", ...)`), so every state-dict name is
 * visible in the source; names and traversal order are PyTorch's (own parameters, then
 * children's, dotted by child name). loadStateDict copies values into the existing tensors,
 * so references held by optimizers stay valid.
 */
import { noGrad, Tensor } from "@typegrad/autograd";
import type { DType, NDArray } from "@typegrad/tensor";
import type { StateDict } from "./safetensors.js";

/** A tensor that is a module's learnable weight; it requires grad by default. Matches `torch.nn.Parameter`. */
export class Parameter extends Tensor {
  constructor(data: Tensor | NDArray, requiresGrad = true) {
    super(data instanceof Tensor ? data.array : data, requiresGrad);
  }
}

/** Options of `loadStateDict`. */
export interface LoadOptions {
  /** Require the keys to match exactly (default true). */
  strict?: boolean;
}

/** What `loadStateDict` did not match (strict: false). Matches PyTorch's `_IncompatibleKeys`. */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
}

interface BufferSlot {
  tensor: Tensor | null;
  persistent: boolean;
}

/** The base class of every layer. Matches `torch.nn.Module`. */
export class Module {
  /** Whether the module is in training mode (dropout active). */
  training = true;
  private readonly parameterSlots = new Map<string, Parameter | null>();
  private readonly bufferSlots = new Map<string, BufferSlot>();
  private readonly childSlots = new Map<string, Module | null>();

  /** Registers a parameter (or null, a declared but absent one, like a disabled bias) under `name`. */
  protected registerParameter<P extends Parameter | null>(name: string, param: P): P {
    this.checkName(name, "registerParameter");
    if (param !== null && !(param instanceof Parameter)) throw new TypeError(`registerParameter: "${name}" must be a Parameter or null`);
    this.parameterSlots.set(name, param);
    return param;
  }

  /** Registers a buffer: state that is not learned (saved in the state dict unless not persistent). */
  protected registerBuffer<T extends Tensor | null>(name: string, tensor: T, options: { persistent?: boolean } = {}): T {
    this.checkName(name, "registerBuffer");
    this.bufferSlots.set(name, { tensor, persistent: options.persistent ?? true });
    return tensor;
  }

  /** Registers a child module under `name`. */
  protected registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkName(name, "registerModule");
    if (module !== null && !(module instanceof Module)) throw new TypeError(`registerModule: "${name}" must be a Module or null`);
    this.childSlots.set(name, module);
    return module;
  }

  private checkName(name: string, op: string): void {
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new RangeError(`${op}: name ${JSON.stringify(name)} must be a non-empty string without "."`);
    }
    const taken = this.parameterSlots.has(name) || this.bufferSlots.has(name) || this.childSlots.has(name);
    if (taken) throw new RangeError(`${op}: "${name}" is already registered on ${this.constructor.name}`);
  }

  /** Direct children with their names. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [name, child] of this.childSlots) if (child) yield [name, child];
  }

  /** Direct children. */
  *children(): Generator<Module> {
    for (const [, child] of this.namedChildren()) yield child;
  }

  /** This module and every descendant (each once), with dotted names. */
  *namedModules(prefix = ""): Generator<[string, Module]> {
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [name, module] = stack.pop()!;
      if (seen.has(module)) continue;
      seen.add(module);
      yield [name, module];
      const kids = [...module.namedChildren()].reverse();
      for (const [childName, child] of kids) stack.push([name ? `${name}.${childName}` : childName, child]);
    }
  }

  /** This module and every descendant. */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Parameters with dotted names (each once, in registration order). Matches `named_parameters`. */
  *namedParameters(prefix = "", recurse = true): Generator<[string, Parameter]> {
    const seen = new Set<Parameter>();
    const modules: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [name, module] of modules) {
      for (const [pname, p] of module.parameterSlots) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        yield [name ? `${name}.${pname}` : pname, p];
      }
    }
  }

  /** Parameters (each once). Matches `parameters()`. */
  *parameters(recurse = true): Generator<Parameter> {
    for (const [, p] of this.namedParameters("", recurse)) yield p;
  }

  /** Buffers with dotted names. Matches `named_buffers`. */
  *namedBuffers(prefix = "", recurse = true): Generator<[string, Tensor]> {
    const modules: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [name, module] of modules) {
      for (const [bname, slot] of module.bufferSlots) if (slot.tensor) yield [name ? `${name}.${bname}` : bname, slot.tensor];
    }
  }

  /** Buffers. Matches `buffers()`. */
  *buffers(recurse = true): Generator<Tensor> {
    for (const [, b] of this.namedBuffers("", recurse)) yield b;
  }

  /** Sets training mode on this module and its descendants. Matches `train(mode)`. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Clears parameter gradients (to null by default, as PyTorch 2). Matches `zero_grad`. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (options.setToNone ?? true) p.grad = null;
      else if (p.grad) noGrad(() => p.grad!.zero_());
    }
  }

  /** Calls `fn` on every descendant, then on this module (post-order, as PyTorch). */
  apply(fn: (module: Module) => void): this {
    const order = [...this.modules()].reverse();
    for (const m of order) fn(m);
    return this;
  }

  /** Converts floating parameters and buffers to `dtype` in place (same Parameter objects). Matches `to(dtype)`. */
  to(dtype: DType): this {
    for (const m of this.modules()) {
      for (const p of m.parameterSlots.values()) if (p && p.dtype !== dtype && p.dtype.startsWith("float")) p.replaceArray(p.array.astype(dtype));
      for (const slot of m.bufferSlots.values()) {
        const b = slot.tensor;
        if (b && b.dtype !== dtype && b.dtype.startsWith("float")) b.replaceArray(b.array.astype(dtype));
      }
    }
    return this;
  }

  /** Parameters and persistent buffers by PyTorch's dotted names (shared, not copied). Matches `state_dict`. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [prefix, module] of this.namedModules()) {
      const key = (name: string) => (prefix ? `${prefix}.${name}` : name);
      for (const [name, p] of module.parameterSlots) if (p) out[key(name)] = p;
      for (const [name, slot] of module.bufferSlots) if (slot.tensor && slot.persistent) out[key(name)] = slot.tensor;
    }
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers (dtype converted,
   * shapes must match). With `strict` (default) missing or unexpected keys throw; otherwise they
   * are returned. Matches `load_state_dict`.
   */
  loadStateDict(stateDict: StateDict, options: LoadOptions = {}): IncompatibleKeys {
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !(k in own));
    if ((options.strict ?? true) && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new RangeError(
        `loadStateDict: state dict does not match ${this.constructor.name}` +
          (missingKeys.length ? `; missing keys: ${missingKeys.join(", ")}` : "") +
          (unexpectedKeys.length ? `; unexpected keys: ${unexpectedKeys.join(", ")}` : ""),
      );
    }
    const pairs = Object.entries(own).filter(([k]) => k in stateDict);
    for (const [key, target] of pairs) {
      const src = stateDict[key]!;
      if (!(src instanceof Tensor)) throw new TypeError(`loadStateDict: "${key}" is not a Tensor`);
      if (src.shape.length !== target.shape.length || src.shape.some((s, d) => s !== target.shape[d])) {
        throw new RangeError(`loadStateDict: size mismatch for "${key}": got shape [${src.shape.join(",")}], the module has [${target.shape.join(",")}]`);
      }
    }
    noGrad(() => {
      for (const [key, target] of pairs) target.copy_(stateDict[key]!);
    });
    return { missingKeys, unexpectedKeys };
  }
}
