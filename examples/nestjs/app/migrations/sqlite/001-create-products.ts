import { BeforeExecution, ChangeUnit, Execution, RollbackBeforeExecution, RollbackExecution } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';
import { CatalogService } from '../../catalog/catalog.service';

/**
 * Creates the products table and seeds the starter products. Its constructor receives
 * CatalogService from Nest's injector (the class is compiled with emitDecoratorMetadata, and
 * CatalogModule, which exports the service, is in MongockModule's `imports`).
 */
@ChangeUnit({ id: 'create-products', order: '001', author: 'shop' })
export class CreateProducts {
  constructor(private readonly catalog: CatalogService) {}

  /** Schema first, outside the seed's transaction (Mongock's before-execution step). */
  @BeforeExecution()
  async createTable({ sql }: SqliteChangeContext): Promise<void> {
    await sql.exec(`CREATE TABLE IF NOT EXISTS products (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      slug TEXT NOT NULL,
      price_cents INTEGER NOT NULL,
      currency TEXT NOT NULL
    )`);
  }

  @RollbackBeforeExecution()
  async dropTable({ sql }: SqliteChangeContext): Promise<void> {
    await sql.exec('DROP TABLE IF EXISTS products');
  }

  /** Writes go through the context's `sql`: they commit together with the history entry. */
  @Execution()
  async seed({ sql }: SqliteChangeContext): Promise<void> {
    for (const product of this.catalog.starterProducts()) {
      await sql.run(
        'INSERT INTO products (name, slug, price_cents, currency) VALUES (?, ?, ?, ?)',
        product.name,
        product.slug,
        product.priceCents,
        product.currency,
      );
    }
  }

  @RollbackExecution()
  async unseed({ sql }: SqliteChangeContext): Promise<void> {
    for (const product of this.catalog.starterProducts()) await sql.run('DELETE FROM products WHERE slug = ?', product.slug);
  }
}
