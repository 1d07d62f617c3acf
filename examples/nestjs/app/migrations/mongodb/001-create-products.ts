import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
import type { MongoChangeContext } from 'mongock/mongodb';
import { CatalogService } from '../../catalog/catalog.service';

/** Seeds the starter products; CatalogService comes from Nest's injector. */
@ChangeUnit({ id: 'create-products', order: '001', author: 'shop' })
export class CreateProducts {
  constructor(private readonly catalog: CatalogService) {}

  /** With a session (replica set), the documents commit together with the history entry. */
  @Execution()
  async seed({ db, session }: MongoChangeContext): Promise<void> {
    await db.collection('products').insertMany(
      this.catalog.starterProducts().map((product) => ({ ...product })),
      { session },
    );
  }

  @RollbackExecution()
  async unseed({ db, session }: MongoChangeContext): Promise<void> {
    const slugs = this.catalog.starterProducts().map((product) => product.slug);
    await db.collection('products').deleteMany({ slug: { $in: slugs } }, { session });
  }
}
