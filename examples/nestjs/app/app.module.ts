import { Module } from '@nestjs/common';
import { MongockModule } from 'mongock/nestjs';
import { MigrationsController } from './admin/migrations.controller';
import { CatalogModule } from './catalog/catalog.module';
import { DatabaseModule } from './database/database.module';
import { MongoConnection } from './database/mongo-connection';
import { mongockOptions } from './mongock-config.service';
import { AppSettings } from './settings/app-settings';
import { SettingsModule } from './settings/settings.module';

@Module({
  imports: [
    SettingsModule,
    DatabaseModule,
    CatalogModule,
    MongockModule.forRootAsync({
      // Settings and the MongoClient for the factory; CatalogModule so change units can receive CatalogService.
      imports: [SettingsModule, DatabaseModule, CatalogModule],
      inject: [AppSettings, MongoConnection],
      useFactory: mongockOptions,
    }),
  ],
  controllers: [MigrationsController],
})
export class AppModule {}
