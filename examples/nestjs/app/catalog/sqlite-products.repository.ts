import type { OnModuleDestroy } from '@nestjs/common';
import Database from 'better-sqlite3';
import type { Product } from './product';
import { ProductsRepository } from './products.repository';

/** Reads through the application's own connection, not Mongock's. */
export class SqliteProductsRepository extends ProductsRepository implements OnModuleDestroy {
  private readonly db: Database.Database;

  constructor(filename: string) {
    super();
    this.db = new Database(filename, { timeout: 5_000 });
  }

  async findAll(): Promise<Product[]> {
    return this.db.prepare('SELECT name, slug, price_cents AS priceCents, currency FROM products ORDER BY id').all() as Product[];
  }

  onModuleDestroy(): void {
    this.db.close();
  }
}
