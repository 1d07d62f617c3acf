import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppSettings } from './settings/app-settings';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const settings = app.get(AppSettings);
  // listen() runs the lifecycle hooks first: pending change units are applied before the
  // server accepts a connection. A failed unit rejects here and the process exits with code 1.
  await app.listen(settings.port, settings.host);
  new Logger('Shop').log(`Listening on ${await app.getUrl()}`);
}

bootstrap();
