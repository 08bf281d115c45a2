/**
 * @file Public entry of autograd. Filled by a later issue; it exports nothing yet.
 */
export {};
