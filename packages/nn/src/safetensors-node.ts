/**
 * @file safetensors files on Node (synchronous): load validates the whole file before
 * building any tensor; save serializes first (a bad state dict touches no file), then writes a
 * new temporary file in the target's folder, flushes it and renames it over the target, so a
 * crash or error leaves either the old file or the new one, never a half-written one, and no
 * temporary file. Browsers use parseSafetensors/serializeSafetensors instead.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseSafetensors, serializeSafetensors, type StateDict } from "./safetensors.js";

/**
 * Reads a .safetensors file into a state dict. Matches `safetensors.torch.load_file`.
 * @example model.loadStateDict(loadSafetensors("model.safetensors"));
 */
export function loadSafetensors(path: string): StateDict {
  return parseSafetensors(readFileSync(path));
}

/**
 * Writes a state dict (and optional string metadata) to a .safetensors file atomically.
 * Matches `safetensors.torch.save_file`.
 * @example saveSafetensors(model.stateDict(), "model.safetensors", { format: "pt" });
 */
export function saveSafetensors(stateDict: StateDict, path: string, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(stateDict, metadata));
}

let counter = 0;

/**
 * Writes bytes (or UTF-8 text) to `path` via a flushed temporary file in the same folder and a
 * rename; on any error the temporary file is removed and `path` is left as it was.
 * @example writeFileAtomic("checkpoint.json", JSON.stringify(state));
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${(counter++).toString(36)}.tmp`);
  const fd = openSync(tmp, "wx"); // exclusive: never truncates someone else's file
  try {
    try {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncFolder(dirname(path));
}

/** Flushes a folder's entries so the rename survives a power loss (best effort: not every OS can). */
function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open or fsync a folder; the file's own data is already flushed
  }
}
