import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import Database from 'better-sqlite3';
import { AppSettings } from '../settings/app-settings';
import type { Product } from './product';

/** How the application itself reads the shop's data (its own connection, not Mongock's). */
@Injectable()
export class ProductsRepository implements OnModuleDestroy {
  private readonly db: Database.Database;

  constructor(settings: AppSettings) {
    this.db = new Database(settings.databaseFile, { timeout: 5_000 });
  }

  findAll(): Product[] {
    return this.db.prepare('SELECT name, slug, price_cents AS priceCents, currency FROM products ORDER BY id').all() as Product[];
  }

  onModuleDestroy(): void {
    this.db.close();
  }
}
