import { Injectable } from '@nestjs/common';

/**
 * The shop's configuration, read once from the environment. (A real application would use
 * @nestjs/config's ConfigService the same way: inject it into forRootAsync's factory.)
 */
@Injectable()
export class AppSettings {
  /** MongoDB connection string; when set the shop keeps its data (and Mongock its history and lock) there. */
  readonly mongodbUri = process.env.SHOP_MONGODB_URI;
  /** The MongoDB database. */
  readonly databaseName = process.env.SHOP_DATABASE_NAME ?? 'shop';
  /** Without SHOP_MONGODB_URI: the SQLite file holding the shop's data and Mongock's tables. */
  readonly databaseFile = process.env.DATABASE_FILE ?? 'shop.db';
  /** Mongock profiles: MONGOCK_PROFILES (comma-separated), else NODE_ENV, else none (= `default`). */
  readonly profiles = (process.env.MONGOCK_PROFILES ?? process.env.NODE_ENV ?? '')
    .split(',')
    .map((profile) => profile.trim())
    .filter(Boolean);
  /** MIGRATE_ON_STARTUP=false: the app starts without migrating; POST /admin/migrate runs it. */
  readonly migrateOnStartup = process.env.MIGRATE_ON_STARTUP !== 'false';
  /** Prices of the starter products are written in this currency. */
  readonly currency = process.env.SHOP_CURRENCY ?? 'EUR';
  readonly port = Number(process.env.PORT ?? 3000);
  readonly host = process.env.HOST ?? '127.0.0.1';
}
