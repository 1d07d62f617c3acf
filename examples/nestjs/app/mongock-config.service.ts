import { Injectable } from '@nestjs/common';
import { mongoDriver } from 'mongock/mongodb';
import type { MongockModuleOptions, MongockOptionsFactory } from 'mongock/nestjs';
import { sqliteDriver } from 'mongock/sqlite';
import { MongoConnection } from './database/mongo-connection';
import { MONGODB_MIGRATIONS } from './migrations/mongodb';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';
import { AppSettings } from './settings/app-settings';

/**
 * Mongock's options from the application's settings and its MongoClient. AppModule passes the
 * same function to `forRootAsync({ useFactory })`; this class is the `useClass` form of it.
 */
@Injectable()
export class MongockConfigService implements MongockOptionsFactory {
  constructor(
    private readonly settings: AppSettings,
    private readonly mongo: MongoConnection,
  ) {}

  createMongockOptions(): MongockModuleOptions {
    return mongockOptions(this.settings, this.mongo);
  }
}

export function mongockOptions(settings: AppSettings, mongo: MongoConnection): MongockModuleOptions {
  const common = {
    activeProfiles: settings.profiles,
    runOnStartup: settings.migrateOnStartup,
    serviceIdentifier: 'shop',
  };
  if (mongo.client !== undefined) {
    // The application's client: Mongock borrows it and never closes it.
    return { ...common, driver: mongoDriver({ client: mongo.client, databaseName: settings.databaseName }), changeUnits: MONGODB_MIGRATIONS };
  }
  return { ...common, driver: sqliteDriver({ filename: settings.databaseFile }), changeUnits: SQLITE_MIGRATIONS };
}
