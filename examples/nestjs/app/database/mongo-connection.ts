import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type Db, MongoClient } from 'mongodb';
import { AppSettings } from '../settings/app-settings';

/**
 * The application's one MongoClient (when SHOP_MONGODB_URI is set). The repositories and
 * Mongock's driver share it; the application closes it, Mongock never does.
 */
@Injectable()
export class MongoConnection implements OnApplicationShutdown {
  readonly client: MongoClient | undefined;

  constructor(private readonly settings: AppSettings) {
    this.client = settings.mongodbUri === undefined ? undefined : new MongoClient(settings.mongodbUri);
  }

  db(): Db {
    if (this.client === undefined) throw new Error('SHOP_MONGODB_URI is not set: the shop runs on SQLite.');
    return this.client.db(this.settings.databaseName);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}
