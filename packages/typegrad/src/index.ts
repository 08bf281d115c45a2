/**
 * @file Public entry of typegrad. Filled by a later issue; it exports nothing yet.
 */
export {};
