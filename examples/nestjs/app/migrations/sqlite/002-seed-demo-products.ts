import { ChangeUnit, Execution, Profile, RollbackExecution } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';
import { CatalogService } from '../../catalog/catalog.service';

/** Demo data for development only: runs when the `dev` profile is active (NODE_ENV=dev). */
@Profile('dev')
@ChangeUnit({ id: 'seed-demo-products', order: '002', author: 'shop' })
export class SeedDemoProducts {
  constructor(private readonly catalog: CatalogService) {}

  @Execution()
  async execute({ sql }: SqliteChangeContext): Promise<void> {
    for (const product of this.catalog.demoProducts()) {
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
  async rollback({ sql }: SqliteChangeContext): Promise<void> {
    for (const product of this.catalog.demoProducts()) await sql.run('DELETE FROM products WHERE slug = ?', product.slug);
  }
}
