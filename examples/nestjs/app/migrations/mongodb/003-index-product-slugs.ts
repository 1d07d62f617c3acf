import { defineChangeUnit } from 'mongock';
import type { MongoChangeContext } from 'mongock/mongodb';

/** A plain-object unit. Index builds cannot run in a transaction, hence `transactional: false`. */
export const indexProductSlugs = defineChangeUnit<MongoChangeContext>({
  id: 'index-product-slugs',
  order: '003',
  author: 'shop',
  transactional: false,
  async execute({ db }) {
    await db.collection('products').createIndex({ slug: 1 }, { unique: true, name: 'products_slug' });
  },
  async rollback({ db }) {
    await db.collection('products').dropIndex('products_slug');
  },
});
