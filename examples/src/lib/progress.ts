/**
 * @file Training progress: a cli-progress bar (step, loss, learning rate, steps/s) on a
 * terminal, a plain line every so often otherwise (CI logs), nothing when quiet.
 */
import cliProgress from "cli-progress";

/** What a progress display shows at each step. */
export interface ProgressValues {
  loss: number;
  lr: number;
}

/** A progress display over `total` steps. */
export interface Progress {
  update(step: number, values: ProgressValues): void;
  stop(): void;
}

/** A bar on a TTY, a line every `every` steps elsewhere, or nothing (`quiet`). */
export function progress(label: string, total: number, options: { quiet?: boolean; every?: number } = {}): Progress {
  const started = performance.now();
  const rate = (step: number) => (step / ((performance.now() - started) / 1000)).toFixed(1);
  if (options.quiet) return { update: () => {}, stop: () => {} };
  if (!process.stdout.isTTY) {
    const every = options.every ?? Math.max(1, Math.round(total / 10));
    return {
      update: (step, v) => {
        if (step % every === 0 || step === total) console.log(`${label} step ${step}/${total}  loss ${v.loss.toFixed(4)}  lr ${v.lr.toExponential(2)}  ${rate(step)} steps/s`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} | loss {loss} | lr {lr} | {rate} steps/s`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { loss: "-", lr: "-", rate: "-" });
  return {
    update: (step, v) => bar.update(step, { loss: v.loss.toFixed(4), lr: v.lr.toExponential(2), rate: rate(step) }),
    stop: () => bar.stop(),
  };
}
