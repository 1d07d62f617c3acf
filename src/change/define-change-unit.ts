import type { Batched } from './batched.ts';
import type { BaseChangeContext, RecoveryStrategy } from './change-unit.ts';

/** What a plain-object unit's methods receive unless typed: the base context plus driver handles. */
export type DefaultChangeContext = BaseChangeContext & Readonly<Record<string, unknown>>;

/** A change method of a plain-object unit: receives the context, may be async. */
export type ChangeFunction<TContext> = (context: TContext) => unknown;

/**
 * A change unit as a plain object, for JavaScript and for code without decorators. Same rules as
 * `@ChangeUnit`: `execute` and `rollback` are required; `rollbackBefore` is required with `before`,
 * `rollbackAfter` with `after`.
 */
export interface ChangeUnitDefinition<TContext = DefaultChangeContext> {
  readonly id: string;
  readonly order: string;
  readonly author?: string;
  readonly systemVersion?: string;
  readonly runAlways?: boolean;
  readonly transactional?: boolean;
  readonly failFast?: boolean;
  /** What a run does with an interrupted or unresolved earlier attempt. Default: the runner's `onInterruptedChange`. */
  readonly recovery?: RecoveryStrategy;
  /** Execution timeout of each of its steps in ms (overrides the runner's `executionTimeoutMs`); a step still running then fails with `CHANGE_TIMEOUT`. */
  readonly timeoutMs?: number;
  /** For a `batched()` step: its time budget in one run, in ms (overrides the runner's `maxRunMs`); it stops at a batch boundary, in progress. */
  readonly maxRunMs?: number;
  /** Like `@Profile`: `['dev']`, `['!prod']`. */
  readonly profiles?: readonly string[];
  readonly before?: ChangeFunction<TContext>;
  readonly rollbackBefore?: ChangeFunction<TContext>;
  /** A function, or a `batched()` step (see docs/batched-changes.md). */
  readonly execute: ChangeFunction<TContext> | Batched<NoInfer<TContext>>;
  /** A function, or a `batched()` step; for a half-done batched unit it only visits keys up to the checkpoint. */
  readonly rollback: ChangeFunction<TContext> | Batched<NoInfer<TContext>>;
  /** Like `@AfterExecution`: runs after `execute` committed, outside its transaction; recorded as `<id>_after`. */
  readonly after?: ChangeFunction<TContext>;
  readonly rollbackAfter?: ChangeFunction<TContext>;
}

const REGISTRY = Symbol.for('mongock.definitions');
const registryHolder = globalThis as { [REGISTRY]?: WeakSet<object> };
registryHolder[REGISTRY] ??= new WeakSet<object>();
const definitions = registryHolder[REGISTRY];

/**
 * Declares a change unit without decorators. The object is frozen, returned as is, and recognised by
 * `addChangeUnits` and by scan paths (as a default or named export).
 *
 * @example
 * ```ts
 * import { defineChangeUnit } from 'mongock';
 * import type { MongoChangeContext } from 'mongock/mongodb';
 *
 * // In a .js or .mjs file, leave out the type argument: the context is then untyped.
 * export default defineChangeUnit<MongoChangeContext>({
 *   id: 'add-status-field', order: '003', author: 'dev',
 *   async execute({ db, session }) { await db.collection('users').updateMany({}, { $set: { status: 'active' } }, { session }); },
 *   async rollback({ db, session }) { await db.collection('users').updateMany({}, { $unset: { status: '' } }, { session }); },
 * });
 * ```
 */
export function defineChangeUnit<TContext = DefaultChangeContext>(definition: ChangeUnitDefinition<TContext>): ChangeUnitDefinition<TContext> {
  // Registered rather than copied: a project defines hundreds of these at every start-up. The
  // registry lives on globalThis so that the ESM and CommonJS builds recognise each other's.
  definitions.add(definition);
  return Object.isFrozen(definition) ? definition : Object.freeze(definition);
}

/** True for objects made by {@link defineChangeUnit}. */
export function isChangeUnitDefinition(value: unknown): value is ChangeUnitDefinition {
  return typeof value === 'object' && value !== null && definitions.has(value);
}
