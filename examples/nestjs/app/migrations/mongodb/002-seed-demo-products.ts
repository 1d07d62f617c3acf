import { ChangeUnit, Execution, Profile, RollbackExecution } from 'mongock';
import type { MongoChangeContext } from 'mongock/mongodb';
import { CatalogService } from '../../catalog/catalog.service';

/** Demo data for development only: runs when the `dev` profile is active (NODE_ENV=dev). */
@Profile('dev')
@ChangeUnit({ id: 'seed-demo-products', order: '002', author: 'shop' })
export class SeedDemoProducts {
  constructor(private readonly catalog: CatalogService) {}

  @Execution()
  async execute({ db, session }: MongoChangeContext): Promise<void> {
    await db.collection('products').insertMany(
      this.catalog.demoProducts().map((product) => ({ ...product })),
      { session },
    );
  }

  @RollbackExecution()
  async rollback({ db, session }: MongoChangeContext): Promise<void> {
    const slugs = this.catalog.demoProducts().map((product) => product.slug);
    await db.collection('products').deleteMany({ slug: { $in: slugs } }, { session });
  }
}
