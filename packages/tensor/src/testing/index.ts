/**
 * @file `@typegrad/tensor/testing`: fast-check arbitraries (shapes, broadcastable shapes,
 * dtypes, layouts, arrays) and naive index helpers for reference implementations.
 */
export {
  broadcastableShapes,
  dtypes,
  DISTINCT_LAYOUTS,
  LAYOUTS,
  ndarrays,
  relayout,
  shapes,
  type Domain,
  type LayoutKind,
  type NDArrayOptions,
  type ShapeOptions,
} from "./arbitraries.js";
export { allIndices, at, broadcastIndex, logicalValues } from "./reference.js";
export { numRuns, propertyConfig, propertySeed } from "./config.js";
