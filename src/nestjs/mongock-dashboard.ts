import type { FactoryProvider, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { createDashboardHandler } from '../dashboard/dashboard-handler.ts';
import { MONGOCK_OPTIONS } from './mongock.constants.ts';
import type { MongockModuleOptions } from './mongock-options.ts';
import { toRunnerConfig } from './mongock-runner.provider.ts';

/**
 * Mounts the dashboard on the application's HTTP adapter (Express, or Fastify with its middie
 * support) when the module's options have `dashboard`. It runs in `onModuleInit`, after Nest
 * registered its routes and before its not-found handler, so only the dashboard's path is
 * taken.
 */
export class MongockDashboardMount implements OnModuleInit {
  readonly #options: MongockModuleOptions;
  readonly #moduleRef: ModuleRef;
  readonly #adapterHost: HttpAdapterHost;

  constructor(options: MongockModuleOptions, moduleRef: ModuleRef, adapterHost: HttpAdapterHost) {
    this.#options = options;
    this.#moduleRef = moduleRef;
    this.#adapterHost = adapterHost;
  }

  onModuleInit(): void {
    const dashboard = this.#options.dashboard;
    const adapter = this.#adapterHost.httpAdapter;
    if (dashboard === undefined || adapter === undefined || adapter === null) return;
    const config = toRunnerConfig(this.#options, this.#moduleRef);
    const handler = createDashboardHandler(config, { logger: config.logger, ...dashboard });
    adapter.use(handler.options.path || '/', handler);
  }
}

export const mongockDashboardProvider: FactoryProvider<MongockDashboardMount> = {
  provide: MongockDashboardMount,
  useFactory: (options: MongockModuleOptions, moduleRef: ModuleRef, adapterHost: HttpAdapterHost) => new MongockDashboardMount(options, moduleRef, adapterHost),
  inject: [MONGOCK_OPTIONS, ModuleRef, HttpAdapterHost],
};
