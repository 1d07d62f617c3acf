import { Module } from '@nestjs/common';
import { MongockModule } from 'mongock/nestjs';
import { MigrationsController } from './admin/migrations.controller';
import { CatalogModule } from './catalog/catalog.module';
import { mongockOptions } from './mongock-config.service';
import { AppSettings } from './settings/app-settings';
import { SettingsModule } from './settings/settings.module';

@Module({
  imports: [
    SettingsModule,
    CatalogModule,
    MongockModule.forRootAsync({
      // SettingsModule for the factory; CatalogModule so change units can receive CatalogService.
      imports: [SettingsModule, CatalogModule],
      inject: [AppSettings],
      useFactory: mongockOptions,
    }),
  ],
  controllers: [MigrationsController],
})
export class AppModule {}
