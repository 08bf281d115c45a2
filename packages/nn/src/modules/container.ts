/**
 * @file Containers: Sequential (chains children named "0", "1", ...), ModuleList and
 * ModuleDict, with PyTorch's state-dict names ("0.weight", "blocks.1.norm1.bias", ...).
 */
import type { Tensor } from "@typegrad/autograd";
import { Module } from "../module.js";

/** A module whose forward maps one tensor to one tensor. */
export interface TensorLayer extends Module {
  forward(x: Tensor): Tensor;
}

/** Applies its layers in order. Matches `torch.nn.Sequential`. */
export class Sequential extends Module {
  private readonly layers: TensorLayer[];
  constructor(...layers: TensorLayer[]) {
    super();
    this.layers = layers.map((m, i) => this.registerModule(String(i), m));
  }
  /** The number of layers. */
  get length(): number {
    return this.layers.length;
  }
  /** The layer at `index` (negative counts from the end). */
  at(index: number): TensorLayer {
    const m = this.layers.at(index);
    if (!m) throw new RangeError(`Sequential: index ${index} is out of range for ${this.layers.length} layers`);
    return m;
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }
}

/** A list of modules registered as children "0", "1", .... Matches `torch.nn.ModuleList`. */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  /** Adds a module at the end. */
  append(module: M): this {
    this.items.push(this.registerModule(String(this.items.length), module));
    return this;
  }
  /** The number of modules. */
  get length(): number {
    return this.items.length;
  }
  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const m = this.items.at(index);
    if (!m) throw new RangeError(`ModuleList: index ${index} is out of range for ${this.items.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Modules by name, registered as children under those names. Matches `torch.nn.ModuleDict`. */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly items = new Map<string, M>();
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [name, m] of Object.entries(modules)) this.set(name, m);
  }
  /** Registers `module` under `name`. */
  set(name: string, module: M): this {
    this.items.set(name, this.registerModule(name, module));
    return this;
  }
  /** The module under `name`. */
  get(name: string): M {
    const m = this.items.get(name);
    if (!m) throw new RangeError(`ModuleDict: no module named "${name}" (have: ${[...this.items.keys()].join(", ")})`);
    return m;
  }
  /** Whether a module is registered under `name`. */
  has(name: string): boolean {
    return this.items.has(name);
  }
  /** The names, in insertion order. */
  keys(): string[] {
    return [...this.items.keys()];
  }
}
