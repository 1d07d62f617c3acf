import type { FactoryProvider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MongockError } from '../errors/mongock-error.ts';
import { createRunner } from '../runner/mongock-builder.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';
import { MongockRunner } from '../runner/mongock-runner.ts';
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
  checkModuleOptions(options);
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

const STARTUP_HOOKS: readonly string[] = ['onModuleInit', 'onApplicationBootstrap'];

function checkModuleOptions(options: MongockModuleOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new MongockError(
      'INVALID_CONFIG',
      `MongockModule needs an options object; got ${String(options)}. Check what forRootAsync's useFactory (or createMongockOptions) returns.`,
    );
  }
  const problems: string[] = [];
  if (options.runOnStartup !== undefined && typeof options.runOnStartup !== 'boolean') {
    problems.push(`Option 'runOnStartup' must be true or false; got ${JSON.stringify(options.runOnStartup)}.`);
  }
  if (options.background !== undefined && typeof options.background !== 'boolean') {
    problems.push(`Option 'background' must be true or false; got ${JSON.stringify(options.background)}.`);
  }
  if (options.startupHook !== undefined && !STARTUP_HOOKS.includes(options.startupHook)) {
    problems.push(`Option 'startupHook' must be 'onApplicationBootstrap' or 'onModuleInit'; got ${JSON.stringify(options.startupHook)}.`);
  }
  if (problems.length > 0) throw new MongockError('INVALID_CONFIG', `Invalid MongockModule options:\n  - ${problems.join('\n  - ')}`, { problems });
}
