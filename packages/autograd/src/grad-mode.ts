/**
 * @file Global autograd switches: whether ops record a graph (grad mode) and whether backward
 * checks every gradient for NaN/Inf and remembers where each node was created (anomaly mode).
 * Both are plain module state, restored by the scoped helpers even when the body throws.
 */

let gradEnabled = true;
let anomalyEnabled = false;

/** True when ops on tensors that require grad record a graph. Matches `torch.is_grad_enabled`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Turns graph recording on or off globally. Matches `torch.set_grad_enabled`. */
export function setGradEnabled(enabled: boolean): void {
  gradEnabled = enabled;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Runs `fn` without recording a graph (optimizer steps, evaluation).
 * @example const y = tg.noGrad(() => model.forward(x));
 * Matches `torch.no_grad()`.
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with graph recording on, even inside `noGrad`. Matches `torch.enable_grad()`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** True when anomaly detection is on. Matches `torch.is_anomaly_enabled`. */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/** Turns anomaly detection on or off globally. Matches `torch.autograd.set_detect_anomaly`. */
export function setDetectAnomaly(enabled: boolean): void {
  anomalyEnabled = enabled;
}

/**
 * Runs `fn` with anomaly detection: nodes remember the JS stack that created them, and
 * backward throws on the first NaN/Inf gradient, naming the op and that stack.
 * Matches `torch.autograd.detect_anomaly()`.
 */
export function detectAnomaly<T>(fn: () => T): T {
  const previous = anomalyEnabled;
  anomalyEnabled = true;
  try {
    return fn();
  } finally {
    anomalyEnabled = previous;
  }
}
