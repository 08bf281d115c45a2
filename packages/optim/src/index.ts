/**
 * @file Public entry of optim. Filled by a later issue; it exports nothing yet.
 */
export {};
