import { CreateProducts } from './001-create-products';
import { SeedDemoProducts } from './002-seed-demo-products';
import { indexProductSlugs } from './003-index-product-slugs';

/** The shop's change units for MongoDB, listed explicitly (no folder scanning needed in a compiled app). */
export const MONGODB_MIGRATIONS = [CreateProducts, SeedDemoProducts, indexProductSlugs];
