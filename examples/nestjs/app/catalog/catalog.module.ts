import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { MongoConnection } from '../database/mongo-connection';
import { AppSettings } from '../settings/app-settings';
import { SettingsModule } from '../settings/settings.module';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { MongoProductsRepository } from './mongo-products.repository';
import { ProductsRepository } from './products.repository';
import { SqliteProductsRepository } from './sqlite-products.repository';

@Module({
  imports: [SettingsModule, DatabaseModule],
  controllers: [CatalogController],
  providers: [
    CatalogService,
    {
      provide: ProductsRepository,
      inject: [AppSettings, MongoConnection],
      useFactory: (settings: AppSettings, mongo: MongoConnection): ProductsRepository =>
        mongo.client === undefined ? new SqliteProductsRepository(settings.databaseFile) : new MongoProductsRepository(mongo.db()),
    },
  ],
  exports: [CatalogService],
})
export class CatalogModule {}
