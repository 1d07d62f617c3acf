import { defineChangeUnit } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

/** A plain-object unit: no class, no injection; it only needs the context's `sql`. */
export const indexProductSlugs = defineChangeUnit<SqliteChangeContext>({
  id: 'index-product-slugs',
  order: '003',
  author: 'shop',
  async execute({ sql }) {
    await sql.exec('CREATE UNIQUE INDEX products_slug ON products (slug)');
  },
  async rollback({ sql }) {
    await sql.exec('DROP INDEX IF EXISTS products_slug');
  },
});
