import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { MongoConnection } from './mongo-connection';

@Module({ imports: [SettingsModule], providers: [MongoConnection], exports: [MongoConnection] })
export class DatabaseModule {}
