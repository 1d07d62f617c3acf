import type { FactoryProvider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createRunner } from '../runner/mongock-builder.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';
import { MongockRunner } from '../runner/mongock-runner.ts';
import { checkStartupOptions } from './check-startup-options.ts';
import { MONGOCK_OPTIONS } from './mongock.constants.ts';
import type { MongockModuleOptions } from './mongock-options.ts';
import { nestChangeUnitFactory } from './nest-change-unit-factory.ts';
import { nestLogger } from './nest-logger.ts';

/**
 * The runner from the module's options: module-only keys removed, Nest's logger and injector
 * filled in when the options give none. Invalid options fail here, while Nest instantiates the
 * module, with Mongock's `INVALID_CONFIG` error naming each bad option.
 */
export function createMongockRunner(options: MongockModuleOptions, moduleRef: ModuleRef): MongockRunner {
  return createRunner(toRunnerConfig(options, moduleRef));
}

/** Strips the module-only options and fills in the Nest defaults. */
export function toRunnerConfig(options: MongockModuleOptions, moduleRef: ModuleRef): MongockConfig {
  checkStartupOptions(options, { module: 'MongockModule', factory: "forRootAsync's useFactory (or createMongockOptions)" });
  const { runOnStartup: _runOnStartup, startupHook: _startupHook, dashboard: _dashboard, background: _background, ...config } = options;
  return {
    ...config,
    logger: config.logger ?? nestLogger(),
    changeUnitFactory: config.changeUnitFactory ?? nestChangeUnitFactory(moduleRef),
  };
}

/** Provides `MongockRunner` (the class is the token, so it can be injected by type). */
export const mongockRunnerProvider: FactoryProvider<MongockRunner> = {
  provide: MongockRunner,
  useFactory: createMongockRunner,
  inject: [MONGOCK_OPTIONS, ModuleRef],
};
