import type { Db } from 'mongodb';
import type { Product } from './product';
import { ProductsRepository } from './products.repository';

export class MongoProductsRepository extends ProductsRepository {
  constructor(private readonly db: Db) {
    super();
  }

  async findAll(): Promise<Product[]> {
    return this.db
      .collection<Product>('products')
      .find({}, { projection: { _id: 0, name: 1, slug: 1, priceCents: 1, currency: 1 } })
      .sort({ _id: 1 })
      .toArray();
  }
}
