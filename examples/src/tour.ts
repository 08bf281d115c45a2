/**
 * @file `pnpm demo` until the training examples land: a short tour of @typegrad/tensor
 * (creation, O(1) views, broadcasting, reductions, matmul, softmax, seeded randomness).
 */
import * as T from "@typegrad/tensor";

const show = (title: string, value: unknown) => console.log(`\n# ${title}\n${String(value)}`);

T.manualSeed(0);
const x = T.array([[1, 2, 3], [4, 5, 6]], { dtype: "float64" });
show("an array from nested lists", x);
show("its transpose: a view sharing storage (strides swapped)", `${x.t()}\nstrides ${JSON.stringify(x.t().strides)}`);
show("slice with a step: x[:, ::2]", x.slice(1, 0, undefined, 2));
show("broadcasting: x + [10, 20, 30]", T.add(x, T.array([10, 20, 30], { dtype: "float64" })));
show("sum over dim 0, mean over dim 1 with keepdim", `${T.sum(x, 0)}\n${T.mean(x, 1, true)}`);
show("x @ x.T", T.matmul(x, x.t()));
show("softmax over the last dim (stable for large inputs)", T.softmax(T.mul(x, 1000), -1));
show("max along dim 1 with indices", (({ values, indices }) => `values ${values}\nindices ${indices}`)(T.maxDim(x, 1)));
show("seeded normal samples (manualSeed(0))", T.randn([2, 4]));
const w = T.randn([256, 256]);
const t0 = performance.now();
T.matmul(w, w);
show("a 256x256 matmul", `${(performance.now() - t0).toFixed(1)} ms (cache-blocked, plain TypeScript)`);
