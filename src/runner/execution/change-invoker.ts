import type { ChangeStep } from '../../change/change-unit.ts';
import type { Scope } from '../../drivers/driver.ts';
import { errorMessage } from '../../errors/mongock-error.ts';
import type { PlanItem } from '../plan.ts';
import type { RunContext } from './run-context.ts';

/** Calls change methods with their context; one instance per class per run, made by the configured factory. */
export class ChangeInvoker {
  readonly #run: RunContext;
  readonly #instances = new Map<object, Promise<object>>();

  constructor(run: RunContext) {
    this.#run = run;
  }

  async invoke(step: ChangeStep, item: PlanItem, scope: Scope<object>): Promise<void> {
    const { config, executionId } = this.#run;
    const target = await this.#instance(item);
    const context = Object.freeze({
      ...config.dependencies,
      ...scope.context,
      log: config.logger,
      metadata: config.metadata,
      executionId,
      changeId: item.changeId,
      author: item.unit.author,
    });
    await step.invoke(target, context);
  }

  #instance(item: PlanItem): Promise<object> | undefined {
    const unitClass = item.unit.model.steps.unitClass;
    if (unitClass === undefined) return undefined;
    let instance = this.#instances.get(unitClass);
    if (instance === undefined) {
      const factory = this.#run.config.changeUnitFactory;
      instance = (async () => (factory === undefined ? new (unitClass as new () => object)() : await factory(unitClass)))().catch((cause: unknown) => {
        throw new InstantiationError(unitClass.name, cause);
      });
      this.#instances.set(unitClass, instance);
    }
    return instance;
  }
}

/** A change unit class could not be instantiated: none of its methods ran, so none needs undoing. */
export class InstantiationError extends Error {
  constructor(className: string, cause: unknown) {
    super(`Could not create an instance of change unit class ${className}: ${errorMessage(cause)}`, { cause });
    this.name = 'InstantiationError';
  }
}
