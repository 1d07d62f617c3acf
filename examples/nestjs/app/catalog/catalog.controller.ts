import { Controller, Get } from '@nestjs/common';
import type { Product } from './product';
import { ProductsRepository } from './products.repository';

@Controller('products')
export class CatalogController {
  constructor(private readonly products: ProductsRepository) {}

  /** Answered only once the migration that creates the table has run (see MongockModule). */
  @Get()
  list(): Promise<Product[]> {
    return this.products.findAll();
  }
}
