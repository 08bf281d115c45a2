/**
 * @file Public entry of nn. Filled by a later issue; it exports nothing yet.
 */
export {};
