import { CreateProducts } from './001-create-products';
import { SeedDemoProducts } from './002-seed-demo-products';
import { indexProductSlugs } from './003-index-product-slugs';

/** Every change unit of the shop, listed explicitly (no folder scanning needed in a compiled app). */
export const MIGRATIONS = [CreateProducts, SeedDemoProducts, indexProductSlugs];
