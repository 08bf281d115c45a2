/**
 * @file The L1 text (WORKLOADS.md): the sentences of the npm package nlp-corpus 4.4.0
 * (builds/doc-0.json ... doc-99.json, arrays of sentences, flattened in order and joined with
 * "\n"), the first N Unicode code points, a vocabulary of its distinct code points sorted by
 * code point, and a 90/10 train/validation split. Read from node_modules, never downloaded.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Encoded text and its vocabulary. */
export interface Corpus {
  vocab: string[];
  train: Int32Array;
  val: Int32Array;
}

/** The first `chars` code points of nlp-corpus, encoded, split 90/10. */
export function loadCorpus(chars = 2_000_000): Corpus {
  // The package exports only its entry (src/server/index.js); the data sits two folders up.
  const root = join(dirname(createRequire(import.meta.url).resolve("nlp-corpus")), "..", "..");
  const sentences: string[] = [];
  for (let i = 0; i < 100; i++) sentences.push(...(JSON.parse(readFileSync(join(root, "builds", `doc-${i}.json`), "utf8")) as string[]));
  const codePoints = Array.from(sentences.join("\n")).slice(0, chars);
  return encodeText(codePoints);
}

/** Encodes code points with a vocabulary of their distinct values sorted by code point. */
export function encodeText(codePoints: readonly string[]): Corpus {
  const vocab = [...new Set(codePoints)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const index = new Map(vocab.map((c, i) => [c, i]));
  const tokens = Int32Array.from(codePoints, (c) => index.get(c)!);
  const split = Math.floor(tokens.length * 0.9);
  return { vocab, train: tokens.subarray(0, split), val: tokens.subarray(split) };
}
