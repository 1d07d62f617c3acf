import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { ProductsRepository } from './products.repository';

@Module({
  imports: [SettingsModule],
  controllers: [CatalogController],
  providers: [CatalogService, ProductsRepository],
  exports: [CatalogService],
})
export class CatalogModule {}
