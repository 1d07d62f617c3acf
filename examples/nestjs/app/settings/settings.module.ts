import { Module } from '@nestjs/common';
import { AppSettings } from './app-settings';

@Module({ providers: [AppSettings], exports: [AppSettings] })
export class SettingsModule {}
