/** @file The Tensor surface: factories, conversion, printing, state, free functions, non-differentiable ops. */
import { describe, expect, it } from "vitest";
import {
  arange, argmax, cat, eye, full, fullLike, getRngState, linspace, manualSeed, matmul, maximum, minimum, oneHot, ones,
  onesLike, rand, randint, randLike, randn, randnLike, setRngState, stack, tensor, where, zeros, zerosLike, Tensor,
} from "./index.js";

describe("factories", () => {
  it("mirror the tensor core with dtype and requiresGrad", () => {
    expect(zeros([2, 3]).dtype).toBe("float32");
    expect(ones([2], { dtype: "float64", requiresGrad: true }).requiresGrad).toBe(true);
    expect(full([2], 7, { dtype: "int32" }).tolist()).toEqual([7, 7]);
    expect(arange(4).tolist()).toEqual([0, 1, 2, 3]);
    expect(linspace(0, 1, 3).tolist()).toEqual([0, 0.5, 1]);
    expect(eye(2).tolist()).toEqual([[1, 0], [0, 1]]);
    const x = tensor([[1, 2], [3, 4]], { dtype: "float64" });
    for (const like of [zerosLike(x), onesLike(x), fullLike(x, 2), randLike(x), randnLike(x)]) {
      expect(like.shape).toEqual([2, 2]);
      expect(like.dtype).toBe("float64");
    }
    expect(tensor(new Float32Array(6), { shape: [2, 3] }).shape).toEqual([2, 3]);
    expect(randint(0, 5, [10]).dtype).toBe("int32");
  });

  it("are reproducible under manualSeed and resumable from a saved RNG state", () => {
    manualSeed(3);
    const a = randn([5]).tolist();
    const state = getRngState();
    const b = rand([5]).tolist();
    manualSeed(3);
    expect(randn([5]).tolist()).toEqual(a);
    setRngState(state);
    expect(rand([5]).tolist()).toEqual(b);
  });
});

describe("conversion and printing", () => {
  it("item, tolist, toArray, size, numel", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.numel()).toBe(6);
    expect(x.size()).toEqual([2, 3]);
    expect(x.size(-1)).toBe(3);
    expect(x.sum().item()).toBe(21);
    expect(tensor([true]).item()).toBe(1);
    expect(Array.from(x.t().toArray())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => x.item()).toThrow(/item: a tensor with 6 elements/);
  });

  it("prints like PyTorch, with the grad function or requiresGrad", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    expect(x.toString()).toBe("tensor([1., 2.], dtype=float64, requiresGrad=true)");
    expect(x.mul(2).toString()).toBe("tensor([2., 4.], dtype=float64, gradFn=<mul>)");
    expect(tensor([0.5]).toString()).toBe("tensor([0.5000])");
  });

  it("detach shares storage and drops the graph; clone copies", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.array.sharesStorage(x.array)).toBe(true);
    const c = x.clone();
    expect(c.array.sharesStorage(x.array)).toBe(false);
    expect(c.gradFn?.name).toBe("clone");
    expect(x.to("float32")).toBe(x);
    expect(x.to("float64").dtype).toBe("float64");
  });
});

describe("free functions and non-differentiable ops", () => {
  it("where, maximum, minimum, cat, stack, matmul", () => {
    const a = tensor([1, 5, 3]);
    const b = tensor([4, 2, 6]);
    expect(where(a.gt(2), a, 0).tolist()).toEqual([0, 5, 3]);
    expect(maximum(a, b).tolist()).toEqual([4, 5, 6]);
    expect(minimum(a, 2).tolist()).toEqual([1, 2, 2]);
    expect(cat([a, b]).shape).toEqual([6]);
    expect(stack([a, b], 1).shape).toEqual([3, 2]);
    expect(matmul(a, b).item()).toBe(4 + 10 + 18);
  });

  it("comparisons, logical ops, sign, argmax and oneHot never require grad", () => {
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    for (const t of [x.gt(0), x.eq(0), x.logicalNot(), x.sign(), argmax(x), x.argmin(), oneHot(arange(3))]) {
      expect(t.requiresGrad).toBe(false);
      expect(t.gradFn).toBeNull();
    }
    expect(x.sign().tolist()).toEqual([-1, 0, 1]);
    expect(x.max(0).indices.item()).toBe(2);
    expect(x.max(0).values.requiresGrad).toBe(true);
  });

  it("methods validate their arguments by name", () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(() => x.sum(2)).toThrow(/sum: dim 2 is out of range/);
    expect(() => x.clamp()).toThrow(/clamp: at least one of min and max/);
    expect(() => x.matmul(tensor([1, 2, 3]))).toThrow(/matmul: shapes \[2,2\] and \[3\] cannot be multiplied/);
    expect(() => x.slice(0, 0, 2, 0)).toThrow(/slice: step must be a positive integer/);
    expect(() => x.gather(1, tensor([[0]]))).toThrow(/gather: index must be an int32 tensor/);
    expect(() => cat([])).toThrow(/cat: expected a non-empty list/);
    expect(() => x.mean(0, false).add(tensor([1, 2, 3]))).toThrow(/add: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(x).toBeInstanceOf(Tensor);
  });
});
