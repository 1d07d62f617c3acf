import { Injectable } from '@nestjs/common';
import { AppSettings } from '../settings/app-settings';
import type { Product } from './product';

const STARTER_PRODUCTS: ReadonlyArray<readonly [name: string, priceCents: number]> = [
  ['Espresso cup', 900],
  ['Moka pot', 3490],
  ['Coffee beans 1 kg', 2250],
];

/**
 * Domain logic the change units reuse through Nest's injector: they do not copy the rules for
 * slugs and prices, they ask this service.
 */
@Injectable()
export class CatalogService {
  constructor(private readonly settings: AppSettings) {}

  starterProducts(): Product[] {
    return STARTER_PRODUCTS.map(([name, priceCents]) => this.product(name, priceCents));
  }

  demoProducts(): Product[] {
    return [this.product('Demo grinder', 100), this.product('Demo kettle', 100)];
  }

  product(name: string, priceCents: number): Product {
    return { name, slug: slugify(name), priceCents, currency: this.settings.currency };
  }
}

function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
