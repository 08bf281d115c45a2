/**
 * @file Typed command-line options for the examples: each option has a type, a default and a
 * help line; `--help` prints them; a bad flag or value is a UsageError with a clear message
 * (the runner prints it with the usage and exits with status 2).
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** One option: its type, default value and help text (integers may set a minimum). */
export type OptionSpec =
  | { type: "number"; default: number; help: string; integer?: boolean; min?: number; max?: number }
  | { type: "string"; default: string; help: string; choices?: readonly string[] }
  | { type: "boolean"; default: boolean; help: string };

/** The parsed values of a spec. */
export type Options<S extends Record<string, OptionSpec>> = {
  -readonly [K in keyof S]: S[K] extends { type: "number" } ? number : S[K] extends { type: "boolean" } ? boolean : string;
};

/** A bad command line: the message says what is wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The `--help` text. */
export function usage(command: string, description: string, specs: Record<string, OptionSpec>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const value = s.type === "boolean" ? "" : ` <${s.type === "number" ? (s.integer ? "int" : "num") : "text"}>`;
    return [`  ${flag(name)}${value}`, `${s.help} (default: ${JSON.stringify(s.default)})`];
  });
  const width = Math.max(...rows.map(([l]) => l!.length)) + 2;
  return [`usage: ${command} [options]`, "", description, "", "options:", ...rows.map(([l, r]) => l!.padEnd(width) + r), `  --help${" ".repeat(Math.max(width - 8, 1))}print this help`].join("\n");
}

/** Parses `argv` against `specs`; returns null when --help was asked for. */
export function parseOptions<S extends Record<string, OptionSpec>>(specs: S, argv: readonly string[]): Options<S> | null {
  const config: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [name, s] of Object.entries(specs)) config[flag(name).slice(2)] = { type: s.type === "boolean" ? "boolean" : "string" };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ""));
  }
  if (parsed.values.help) return null;
  const out: Record<string, number | string | boolean> = {};
  for (const [name, s] of Object.entries(specs)) {
    const raw = parsed.values[flag(name).slice(2)];
    if (raw === undefined) {
      out[name] = s.default;
      continue;
    }
    if (s.type === "boolean") out[name] = raw === true;
    else if (s.type === "string") {
      if (s.choices && !s.choices.includes(String(raw))) throw new UsageError(`${flag(name)} must be one of ${s.choices.join(", ")}, got "${raw}"`);
      out[name] = String(raw);
    } else {
      const n = Number(raw);
      const kind = s.integer ? "an integer" : "a number";
      if (String(raw).trim() === "" || !Number.isFinite(n) || (s.integer && !Number.isInteger(n))) throw new UsageError(`${flag(name)} must be ${kind}, got "${raw}"`);
      if (s.min !== undefined && n < s.min) throw new UsageError(`${flag(name)} must be >= ${s.min}, got ${n}`);
      if (s.max !== undefined && n > s.max) throw new UsageError(`${flag(name)} must be <= ${s.max}, got ${n}`);
      out[name] = n;
    }
  }
  return out as Options<S>;
}

/**
 * Runs an example from the command line: parses the options (printing help or a usage error
 * with exit status 2) and awaits `run`.
 */
export async function runCli<S extends Record<string, OptionSpec>>(
  command: string, description: string, specs: S, run: (options: Options<S>) => unknown,
): Promise<void> {
  let options: Options<S> | null;
  try {
    options = parseOptions(specs, process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n\n${usage(command, description, specs)}\n`);
    process.exit(2);
  }
  if (options === null) {
    process.stdout.write(`${usage(command, description, specs)}\n`);
    return;
  }
  await run(options);
}

/** The examples' default output folder for `name`: examples/out/<name>, wherever the command runs. */
export function defaultOut(name: string): string {
  return fileURLToPath(new URL(`../../out/${name}`, import.meta.url));
}
