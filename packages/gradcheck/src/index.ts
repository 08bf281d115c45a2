/**
 * @file Public entry of gradcheck. Filled by a later issue; it exports nothing yet.
 */
export {};
