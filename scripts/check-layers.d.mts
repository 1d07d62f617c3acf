/** The layer check of the tree at `root` (see scripts/check-layers.mjs): files read, and every problem found. */
export function checkLayers(root: string): { readonly files: number; readonly problems: readonly string[] };
