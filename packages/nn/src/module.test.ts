/** @file Module: registration, PyTorch's names and order, modes, state dicts and their errors, containers. */
import { describe, expect, it } from "vitest";
import { noGrad, ones, randn, tensor } from "@typegrad/autograd";
import * as K from "@typegrad/tensor";
import { Module, Parameter } from "./module.js";
import { Linear } from "./modules/linear.js";
import { Dropout } from "./modules/dropout.js";
import { LayerNorm } from "./modules/normalization.js";
import { ModuleDict, ModuleList, Sequential } from "./modules/container.js";
import { TransformerEncoderLayer } from "./modules/transformer.js";

class Block extends Module {
  readonly scale: Parameter;
  readonly fc: Linear;
  readonly running: ReturnType<typeof ones>;
  constructor() {
    super();
    this.scale = this.registerParameter("scale", new Parameter(K.ones([3])));
    this.fc = this.registerModule("fc", new Linear(3, 2));
    this.running = this.registerBuffer("running", ones([2]));
    this.registerBuffer("scratch", ones([1]), { persistent: false });
  }
}

describe("registration and names", () => {
  it("names parameters, buffers and children like PyTorch (own first, then children, dotted)", () => {
    const m = new Sequential(new Linear(3, 4), new Dropout(0.1), new Linear(4, 2));
    expect([...m.namedParameters()].map(([n]) => n)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const b = new Block();
    expect(Object.keys(b.stateDict())).toEqual(["scale", "running", "fc.weight", "fc.bias"]);
    expect([...b.namedBuffers()].map(([n]) => n)).toEqual(["running", "scratch"]);
    expect([...b.buffers()]).toHaveLength(2);
    expect([...b.namedModules()].map(([n]) => n)).toEqual(["", "fc"]);
  });

  it("lists a shared parameter once and rejects duplicate or dotted names", () => {
    const shared = new Linear(2, 2);
    const m = new Sequential(shared, shared);
    expect([...m.parameters()]).toHaveLength(2);
    class Bad extends Module {
      constructor() {
        super();
        this.registerParameter("w", null);
        this.registerParameter("w", null);
      }
    }
    expect(() => new Bad()).toThrow(/registerParameter: "w" is already registered on Bad/);
    class Dotted extends Module {
      constructor() {
        super();
        this.registerModule("a.b", new Linear(1, 1));
      }
    }
    expect(() => new Dotted()).toThrow(/registerModule: name "a.b" must be a non-empty string without "."/);
  });

  it("containers name children by index or key", () => {
    const list = new ModuleList<Module>([new Linear(1, 1), new Linear(1, 1)]).append(new LayerNorm(1));
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]);
    expect(list.length).toBe(3);
    const dict = new ModuleDict({ enc: new Linear(1, 1), head: new Linear(1, 2, { bias: false }) });
    expect(Object.keys(dict.stateDict())).toEqual(["enc.weight", "enc.bias", "head.weight"]);
    expect(() => dict.get("nope")).toThrow(/ModuleDict: no module named "nope"/);
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    expect([...layer.namedChildren()].map(([n]) => n)).toEqual(["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"]);
  });
});

describe("modes and gradients", () => {
  it("train/eval reach every descendant; apply visits children before parents", () => {
    const m = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5)));
    m.eval();
    expect([...m.modules()].every((x) => !x.training)).toBe(true);
    m.train();
    expect([...m.modules()].every((x) => x.training)).toBe(true);
    const seen: string[] = [];
    m.apply((x) => void seen.push(x.constructor.name));
    expect(seen).toEqual(["Dropout", "Sequential", "Linear", "Sequential"]);
  });

  it("zeroGrad clears to null, or to zeros with setToNone: false", () => {
    const lin = new Linear(2, 1);
    lin.forward(randn([3, 2])).sum().backward();
    expect(lin.weight.grad).not.toBeNull();
    lin.zeroGrad({ setToNone: false });
    expect(lin.weight.grad!.tolist()).toEqual([[0, 0]]);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
  });

  it("to(dtype) converts parameters in place, keeping the same Parameter objects", () => {
    const lin = new Linear(2, 2);
    const w = lin.weight;
    const before = w.tolist();
    lin.to("float64");
    expect(lin.weight).toBe(w);
    expect(w.dtype).toBe("float64");
    expect(w.tolist()).toEqual(before);
    expect(lin.forward(randn([1, 2], { dtype: "float64" })).dtype).toBe("float64");
  });
});

describe("state dicts", () => {
  it("round-trip values into another module, converting dtype, without replacing tensors", () => {
    const a = new Block();
    const b = new Block();
    noGrad(() => a.scale.fill_(7));
    const w = b.fc.weight;
    const sd = Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [k, v.to("float64")]));
    expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.fc.weight).toBe(w);
    expect(b.scale.tolist()).toEqual([7, 7, 7]);
    expect(b.fc.weight.tolist()).toEqual(a.fc.weight.tolist());
    expect(b.scale.dtype).toBe("float32");
  });

  it("names missing and unexpected keys, and shape mismatches", () => {
    const b = new Block();
    const sd = b.stateDict();
    const { scale: _scale, ...missing } = sd;
    expect(() => b.loadStateDict(missing)).toThrow(/loadStateDict: state dict does not match Block; missing keys: scale/);
    expect(() => b.loadStateDict({ ...sd, extra: ones([1]) })).toThrow(/unexpected keys: extra/);
    expect(b.loadStateDict({ ...missing, extra: ones([1]) }, { strict: false })).toEqual({ missingKeys: ["scale"], unexpectedKeys: ["extra"] });
    expect(() => b.loadStateDict({ ...sd, "fc.weight": ones([3, 3]) })).toThrow(/size mismatch for "fc.weight": got shape \[3,3\], the module has \[2,3\]/);
  });

  it("leaves non-persistent buffers out", () => {
    expect(Object.keys(new Block().stateDict())).not.toContain("scratch");
    expect(tensor([1]).shape).toEqual([1]);
  });
});
