/**
 * @file Training checkpoints in one safetensors file, written atomically: the model's state
 * dict under "model.*", the optimizer's tensors under "optim.<param index>.<key>", and the rest
 * (step, optimizer numbers and param groups, scheduler state, RNG state, the run's config) as
 * JSON in the file's metadata. Loading restores all of it, so a resumed run continues exactly.
 */
import { existsSync, readFileSync } from "node:fs";
import { getRngState, setRngState, Tensor, type RngState } from "typegrad";
import * as tg from "typegrad";

type Optimizer = tg.optim.AnyOptimizer;
type OptimizerStateDict = tg.optim.OptimizerStateDict;

/** What a checkpoint restores besides the tensors. */
export interface CheckpointInfo {
  step: number;
  config: Record<string, unknown>;
  extra: Record<string, unknown>;
}

interface Meta {
  step: number;
  config: Record<string, unknown>;
  extra: Record<string, unknown>;
  rng: RngState;
  scheduler: Record<string, unknown> | null;
  optimizer: { groups: OptimizerStateDict["paramGroups"]; numbers: Record<string, Record<string, number | null>> };
}

/** Saves model, optimizer, scheduler, step and RNG state to `path` (atomically). */
export function saveCheckpoint(
  path: string, model: tg.nn.Module, optimizer: Optimizer, scheduler: { stateDict(): object } | null, info: CheckpointInfo,
): void {
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(model.stateDict())) tensors[`model.${k}`] = v;
  const opt = optimizer.stateDict();
  const numbers: Meta["optimizer"]["numbers"] = {};
  for (const [index, state] of Object.entries(opt.state)) {
    numbers[index] = {};
    for (const [key, value] of Object.entries(state)) {
      if (value instanceof Tensor) tensors[`optim.${index}.${key}`] = value;
      else numbers[index]![key] = value;
    }
  }
  const meta: Meta = {
    ...info,
    rng: getRngState(),
    scheduler: scheduler ? (scheduler.stateDict() as Record<string, unknown>) : null,
    optimizer: { groups: opt.paramGroups, numbers },
  };
  tg.nn.saveSafetensors(tensors, path, { "typegrad.checkpoint": JSON.stringify(meta) });
}

/** The metadata of a checkpoint saved by `saveCheckpoint`, validated as one (tensors not read). */
function readMeta(path: string, bytes: Uint8Array): Meta {
  const raw = tg.nn.safetensorsMetadata(bytes)["typegrad.checkpoint"];
  if (!raw) throw new Error(`${path} is a safetensors file but not a typegrad checkpoint (no "typegrad.checkpoint" metadata)`);
  return JSON.parse(raw) as Meta;
}

/** The run config a checkpoint was written with (to compare before restoring anything). */
export function checkpointConfig(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`checkpoint ${path} does not exist`);
  return readMeta(path, new Uint8Array(readFileSync(path))).config;
}

/** Restores a checkpoint saved by `saveCheckpoint` into the given objects; returns its info. */
export function loadCheckpoint(
  path: string, model: tg.nn.Module, optimizer: Optimizer, scheduler: { loadStateDict(s: never): void } | null,
): CheckpointInfo {
  if (!existsSync(path)) throw new Error(`checkpoint ${path} does not exist`);
  const bytes = new Uint8Array(readFileSync(path));
  const meta = readMeta(path, bytes);
  const tensors = tg.nn.parseSafetensors(bytes);
  const modelState: Record<string, Tensor> = {};
  const state: OptimizerStateDict["state"] = {};
  for (const [key, t] of Object.entries(tensors)) {
    if (key.startsWith("model.")) modelState[key.slice(6)] = t;
    else if (key.startsWith("optim.")) {
      const [, index, name] = key.match(/^optim\.(\d+)\.(.+)$/) ?? [];
      if (index === undefined || name === undefined) throw new Error(`checkpoint ${path}: unexpected tensor "${key}"`);
      (state[Number(index)] ??= {})[name] = t;
    }
  }
  for (const [index, values] of Object.entries(meta.optimizer.numbers)) Object.assign((state[Number(index)] ??= {}), values);
  model.loadStateDict(modelState);
  optimizer.loadStateDict({ state, paramGroups: meta.optimizer.groups });
  if (scheduler && meta.scheduler) scheduler.loadStateDict(meta.scheduler as never);
  setRngState(meta.rng);
  return { step: meta.step, config: meta.config, extra: meta.extra };
}
