import type { Logger } from '../log/logger.ts';
import type { Batched } from './batched.ts';

/**
 * The normalised shape of every change unit, whichever form it was written in (a `@ChangeUnit`
 * class, a legacy `@ChangeSet` method, or a `defineChangeUnit` object). The runner only sees this.
 */
export interface ChangeUnitModel {
  readonly id: string;
  /** Empty when not given; `defaultAuthor` fills it at planning time. */
  readonly author: string;
  /** Sort keys compared as strings, left to right: [unit or ChangeLog order, ChangeSet order]. */
  readonly orderKey: readonly string[];
  readonly systemVersion: string;
  readonly runAlways: boolean;
  /** `undefined`: follow the runner's `transactional` option. */
  readonly transactional: boolean | undefined;
  readonly failFast: boolean;
  /** Execution timeout of each step in ms; `undefined`: the runner's `executionTimeoutMs`. */
  readonly timeoutMs?: number | undefined;
  /** Time budget of a batched step in one run, in ms; `undefined`: the runner's `maxRunMs`. */
  readonly maxRunMs?: number | undefined;
  /** Raw `@Profile` values, e.g. `['dev', '!prod']`; empty means every profile. */
  readonly profiles: readonly string[];
  readonly form: ChangeUnitForm;
  /** Recorded as `changeLogClass`. */
  readonly className: string;
  readonly steps: ChangeSteps;
  /** The file it came from, when loaded from a scan path. */
  readonly source: string | undefined;
  /** For legacy ChangeSets: `failFast` of the enclosing ChangeLog. */
  readonly changeLogFailFast: boolean;
  /** Absent: follow the runner's `onInterruptedChange`. */
  readonly recovery?: RecoveryStrategy | undefined;
}

/**
 * What a run does with an earlier attempt of a unit that was interrupted (a crash outside a
 * transaction) or failed without a clean rollback:
 * - `rollback-and-retry`: run its rollback method, record ROLLED_BACK, apply it again;
 * - `retry`: apply it again as it is (for idempotent units);
 * - `manual`: stop with `MANUAL_RESOLUTION_REQUIRED`, naming the `mongock mark` commands that resolve it.
 */
export type RecoveryStrategy = 'rollback-and-retry' | 'retry' | 'manual';

export const RECOVERY_STRATEGIES: readonly RecoveryStrategy[] = Object.freeze(['rollback-and-retry', 'retry', 'manual']);

export type ChangeUnitForm = 'change-unit' | 'change-set' | 'definition';

/** A method name plus how to call it on an instance (or a plain function for definitions). */
export interface ChangeStep {
  readonly name: string;
  /** Source text of a plain function step (definitions), for checksums. */
  readonly source?: string;
  /** True when `source` is already a normal form (SQL and declarative unit files): hashed as it is, without the compiler. */
  readonly declared?: boolean;
  readonly invoke: (target: object | undefined, context: object) => Promise<unknown>;
  /** Set for a `batched()` step: the runner iterates it batch by batch instead of calling `invoke`. */
  readonly batched?: Batched<never> | undefined;
}

export interface ChangeSteps {
  readonly execution: ChangeStep;
  readonly rollback: ChangeStep | undefined;
  readonly before: ChangeStep | undefined;
  readonly rollbackBefore: ChangeStep | undefined;
  /** Runs after the execution committed, outside its transaction; recorded as `<id>_after`. */
  readonly after?: ChangeStep | undefined;
  readonly rollbackAfter?: ChangeStep | undefined;
  /** The class to instantiate once per run (decorated forms); undefined for definitions. */
  readonly unitClass: (abstract new (...args: never[]) => object) | undefined;
}

/** The context every change method receives, merged with the driver's context and dependencies. */
export interface BaseChangeContext {
  readonly log: Logger;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly executionId: string;
  readonly changeId: string;
  readonly author: string;
}
