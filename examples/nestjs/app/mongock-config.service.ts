import { Injectable } from '@nestjs/common';
import type { MongockModuleOptions, MongockOptionsFactory } from 'mongock/nestjs';
import { sqliteDriver } from 'mongock/sqlite';
import { MIGRATIONS } from './migrations';
import { AppSettings } from './settings/app-settings';

/**
 * Mongock's options from the application's settings. AppModule passes the same function to
 * `forRootAsync({ useFactory })`; this class is the `forRootAsync({ useClass })` form of it.
 */
@Injectable()
export class MongockConfigService implements MongockOptionsFactory {
  constructor(private readonly settings: AppSettings) {}

  createMongockOptions(): MongockModuleOptions {
    return mongockOptions(this.settings);
  }
}

export function mongockOptions(settings: AppSettings): MongockModuleOptions {
  return {
    driver: sqliteDriver({ filename: settings.databaseFile }),
    changeUnits: MIGRATIONS,
    activeProfiles: settings.profiles,
    runOnStartup: settings.migrateOnStartup,
    serviceIdentifier: 'shop',
  };
}
