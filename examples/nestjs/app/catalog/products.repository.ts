import type { Product } from './product';

/** How the application itself reads the shop's data; one implementation per database. */
export abstract class ProductsRepository {
  abstract findAll(): Promise<Product[]>;
}
