import type { ChangeStep } from '../../change/change-unit.ts';
import type { Scope } from '../../drivers/driver.ts';
import { changeTimeoutError } from '../../errors/error-builders.ts';
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
    const target = await this.#instance(item);
    await this.call(item, scope, step.name, (context) => step.invoke(target, context));
  }

  /** Calls `work` with the item's context under the step's execution timeout (a batched step: once per batch). */
  async call(item: PlanItem, scope: Scope<object>, stepName: string, work: (context: object) => Promise<unknown>): Promise<void> {
    const { config, executionId } = this.#run;
    const context = Object.freeze({
      ...config.dependencies,
      ...scope.context,
      log: config.logger,
      metadata: config.metadata,
      executionId,
      changeId: item.changeId,
      author: item.unit.author,
    });
    const timeoutMs = item.unit.model.timeoutMs ?? config.executionTimeoutMs;
    const running = work(context);
    if (timeoutMs <= 0) {
      await running;
      return;
    }
    // Once timed out, what the step still does ends in an error nobody awaits: not a crash.
    running.catch(() => undefined);
    await withTimeout(running, timeoutMs, () =>
      changeTimeoutError({ changeId: item.changeId, author: item.unit.author, file: item.unit.model.source }, stepName, timeoutMs),
    );
  }

  #instance(item: PlanItem): Promise<object> | undefined {
    const unitClass = item.unit.model.steps.unitClass;
    if (unitClass === undefined) return undefined;
    let instance = this.#instances.get(unitClass);
    if (instance === undefined) {
      const factory = this.#run.config.changeUnitFactory;
      instance = (async () =>
        factory === undefined ? new (unitClass as new () => object)() : await factory(unitClass as new (...args: never[]) => object))().catch(
        (cause: unknown) => {
          throw new InstantiationError(unitClass.name, cause);
        },
      );
      this.#instances.set(unitClass, instance);
    }
    return instance;
  }
}

/**
 * Settles with `work`, or rejects with `timeout()` after `ms`. The timer is not unref'd: a process
 * whose only work left is a hung change keeps running until the timeout fails it, rather than
 * exiting as if the run had finished.
 */
function withTimeout<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** A change unit class could not be instantiated: none of its methods ran, so none needs undoing. */
export class InstantiationError extends Error {
  constructor(className: string, cause: unknown) {
    super(`Could not create an instance of change unit class ${className}: ${errorMessage(cause)}`, { cause });
    this.name = 'InstantiationError';
  }
}
