import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from '../log/logger.ts';
import { MONGOCK_LOGGER_CONTEXT } from './mongock.constants.ts';

/**
 * Mongock's {@link Logger} on top of Nest's `Logger`: `info` becomes `log`, the rest keep their
 * names, all under one context. Because Nest's `Logger` delegates to the application's logger,
 * `NestFactory.create(AppModule, { logger })` and `app.useLogger()` apply to Mongock too.
 * `MongockModule` uses it unless the options give a `logger`.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { MongockModule, nestLogger } from 'mongock/nestjs';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * @Module({
 *   imports: [MongockModule.forRoot({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: 'dist/migrations', logger: nestLogger('Migrations') })],
 * })
 * export class AppModule {}
 * ```
 */
export function nestLogger(context: string = MONGOCK_LOGGER_CONTEXT): Logger {
  const nest = new NestLogger(context);
  return Object.freeze({
    debug: (message: string) => nest.debug(message),
    info: (message: string) => nest.log(message),
    warn: (message: string) => nest.warn(message),
    error: (message: string) => nest.error(message),
  });
}
