import type { Family } from './world.js';
export const MORE_FAMILIES: readonly Family[] = [];
