/**
 * Mongock's decorators. Each works under TypeScript's standard decorators (TS 5+, esbuild, tsx)
 * and under `experimentalDecorators` (NestJS projects): the argument shapes tell them apart.
 * Metadata is kept in a WeakMap keyed by the class, so nothing is written onto user classes.
 */

import type { RecoveryStrategy } from './change-unit.ts';

/** Options of `@ChangeUnit` (Mongock 5). */
export interface ChangeUnitOptions {
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
}

/** Options of the legacy `@ChangeLog` (Mongock 3/4). */
export interface ChangeLogOptions {
  readonly order?: string;
  readonly failFast?: boolean;
}

/** Options of the legacy `@ChangeSet` (Mongock 3/4). */
export interface ChangeSetOptions {
  readonly id: string;
  readonly author: string;
  readonly order: string;
  readonly runAlways?: boolean;
  readonly systemVersion?: string;
  readonly failFast?: boolean;
}

export type MethodRole = 'execution' | 'rollback' | 'before' | 'rollbackBefore' | 'after' | 'rollbackAfter';

export interface MethodMark {
  readonly name: string;
  readonly role: MethodRole | undefined;
  readonly changeSet: ChangeSetOptions | undefined;
  readonly profiles: readonly string[];
}

/** Everything the decorators recorded about one class. */
export interface ClassMarks {
  unit: ChangeUnitOptions | undefined;
  changeLog: ChangeLogOptions | undefined;
  profiles: string[];
  methods: MethodMark[];
}

// Shared through globalThis so that classes decorated with the ESM build are recognised by the
// CommonJS build and vice versa (the dual-package hazard).
const REGISTRY = Symbol.for('mongock.decorated-classes');
const registryHolder = globalThis as { [REGISTRY]?: WeakMap<object, ClassMarks> };
registryHolder[REGISTRY] ??= new WeakMap<object, ClassMarks>();
const marksByClass = registryHolder[REGISTRY];
const METADATA_KEY = Symbol.for('mongock.marks');

// Node 20 has no Symbol.metadata; TypeScript and esbuild give decorators a `context.metadata`
// object only when it exists. Defining it here (as the proposal's polyfill does) gives standard
// decorators a place to leave method marks for the class decorator to collect.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

interface StandardContext {
  readonly kind: string;
  readonly name: string | symbol | undefined;
  readonly metadata?: Record<PropertyKey, unknown>;
}

function isStandardContext(value: unknown): value is StandardContext {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

function emptyMarks(): ClassMarks {
  return { unit: undefined, changeLog: undefined, profiles: [], methods: [] };
}

function marksFor(target: object): ClassMarks {
  const existing = marksByClass.get(target);
  if (existing !== undefined) return existing;
  const marks = emptyMarks();
  marksByClass.set(target, marks);
  return marks;
}

/** Standard decorators leave method marks in `context.metadata` until the class decorator runs. */
function pendingMarks(context: StandardContext): ClassMarks {
  const metadata = context.metadata;
  if (metadata === undefined) {
    throw new TypeError('Mongock decorators need decorator metadata (TypeScript 5.2+ or experimentalDecorators).');
  }
  if (!Object.hasOwn(metadata, METADATA_KEY)) metadata[METADATA_KEY] = emptyMarks();
  return metadata[METADATA_KEY] as ClassMarks;
}

function methodDecorator(update: (mark: MethodMark) => MethodMark) {
  return (...args: unknown[]): void => {
    const [first, second] = args;
    if (isStandardContext(second)) {
      if (second.kind !== 'method') throw new TypeError('Mongock method decorators apply to methods only.');
      upsertMethod(pendingMarks(second), String(second.name), update);
      return;
    }
    // experimentalDecorators: (prototype, propertyKey, descriptor)
    const prototype = first as { constructor: object };
    upsertMethod(marksFor(prototype.constructor), String(second), update);
  };
}

function upsertMethod(marks: ClassMarks, name: string, update: (mark: MethodMark) => MethodMark): void {
  const index = marks.methods.findIndex((mark) => mark.name === name);
  const current = index === -1 ? { name, role: undefined, changeSet: undefined, profiles: [] } : marks.methods[index];
  const next = update(current as MethodMark);
  if (index === -1) marks.methods.push(next);
  else marks.methods[index] = next;
}

function classDecorator(apply: (marks: ClassMarks) => void) {
  return (...args: unknown[]): void => {
    const [target, context] = args;
    const marks = marksFor(target as object);
    if (isStandardContext(context)) {
      if (context.kind !== 'class') throw new TypeError('This Mongock decorator applies to classes only.');
      const pending = context.metadata?.[METADATA_KEY] as ClassMarks | undefined;
      if (pending !== undefined) {
        for (const method of pending.methods) upsertMethod(marks, method.name, (current) => mergeMark(current, method));
        pending.methods = [];
      }
    }
    apply(marks);
  };
}

function mergeMark(current: MethodMark, extra: MethodMark): MethodMark {
  return {
    name: current.name,
    role: extra.role ?? current.role,
    changeSet: extra.changeSet ?? current.changeSet,
    profiles: [...current.profiles, ...extra.profiles],
  };
}

function roleDecorator(role: MethodRole) {
  return methodDecorator((mark) => {
    if (mark.role !== undefined && mark.role !== role) {
      throw new TypeError(`Method '${mark.name}' has two Mongock roles: @${ROLE_NAMES[mark.role]} and @${ROLE_NAMES[role]}.`);
    }
    return { ...mark, role };
  });
}

const ROLE_NAMES: Readonly<Record<MethodRole, string>> = {
  execution: 'Execution',
  rollback: 'RollbackExecution',
  before: 'BeforeExecution',
  rollbackBefore: 'RollbackBeforeExecution',
  after: 'AfterExecution',
  rollbackAfter: 'RollbackAfterExecution',
};

/**
 * Marks a class as a change unit (Mongock 5). It needs exactly one `@Execution` and one
 * `@RollbackExecution` method; `@BeforeExecution` (with `@RollbackBeforeExecution`) is optional.
 *
 * @example
 * ```ts
 * import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
 * import type { MongoChangeContext } from 'mongock/mongodb';
 *
 * @ChangeUnit({ id: 'client-initializer', order: '001', author: 'dev' })
 * export class ClientInitializer {
 *   @Execution() async execute({ db }: MongoChangeContext) { await db.collection('clients').insertOne({ name: 'a' }); }
 *   @RollbackExecution() async rollback({ db }: MongoChangeContext) { await db.collection('clients').deleteMany({}); }
 * }
 * ```
 */
export function ChangeUnit(options: ChangeUnitOptions) {
  const frozen = Object.freeze({ ...options });
  return classDecorator((marks) => {
    marks.unit = frozen;
  });
}

/**
 * The change itself; runs inside the unit's transaction when there is one.
 *
 * @example
 * ```ts
 * import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
 * import type { MemoryChangeContext } from 'mongock/driver';
 *
 * @ChangeUnit({ id: 'feature-flags', order: '002', author: 'ops' })
 * export class FeatureFlags {
 *   @Execution() async turnOn({ kv }: MemoryChangeContext) { await kv.set('checkout-v2', true); }
 *   @RollbackExecution() async turnOff({ kv }: MemoryChangeContext) { await kv.delete('checkout-v2'); }
 * }
 * ```
 */
export function Execution() {
  return roleDecorator('execution');
}

/**
 * Undoes `@Execution`: run on failure when not transactional, and by `runner.undo()`.
 *
 * @example A rollback that removes exactly what the execution added.
 * ```ts
 * import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
 * import type { SqliteChangeContext } from 'mongock/sqlite';
 *
 * @ChangeUnit({ id: 'default-roles', order: '003', author: 'dev', transactional: false })
 * export class DefaultRoles {
 *   @Execution() async insert({ sql }: SqliteChangeContext) { await sql.run("INSERT INTO roles (name) VALUES ('admin'), ('viewer')"); }
 *   @RollbackExecution() async remove({ sql }: SqliteChangeContext) { await sql.run("DELETE FROM roles WHERE name IN ('admin', 'viewer')"); }
 * }
 * ```
 */
export function RollbackExecution() {
  return roleDecorator('rollback');
}

/**
 * Optional step run before, outside the unit's transaction (DDL); recorded as `<id>_before`.
 *
 * @example The table is created before the unit's transaction fills it.
 * ```ts
 * import { BeforeExecution, ChangeUnit, Execution, RollbackBeforeExecution, RollbackExecution } from 'mongock';
 * import type { PostgresChangeContext } from 'mongock/postgres';
 *
 * @ChangeUnit({ id: 'audit-table', order: '004', author: 'dev' })
 * export class AuditTable {
 *   @BeforeExecution() async create({ sql }: PostgresChangeContext) { await sql.query('CREATE TABLE audit (id serial PRIMARY KEY, what text)'); }
 *   @RollbackBeforeExecution() async drop({ sql }: PostgresChangeContext) { await sql.query('DROP TABLE audit'); }
 *   @Execution() async fill({ sql }: PostgresChangeContext) { await sql.query("INSERT INTO audit (what) VALUES ('created')"); }
 *   @RollbackExecution() async empty({ sql }: PostgresChangeContext) { await sql.query('DELETE FROM audit'); }
 * }
 * ```
 */
export function BeforeExecution() {
  return roleDecorator('before');
}

/**
 * Undoes `@BeforeExecution`; required when it is present. `undo` runs it after the unit's own
 * rollback, so the step that created a table drops it last.
 *
 * @example
 * ```ts
 * import { BeforeExecution, ChangeUnit, Execution, RollbackBeforeExecution, RollbackExecution } from 'mongock';
 * import type { MongoChangeContext } from 'mongock/mongodb';
 *
 * @ChangeUnit({ id: 'orders-index', order: '005', author: 'dev' })
 * export class OrdersIndex {
 *   @BeforeExecution() async index({ db }: MongoChangeContext) { await db.collection('orders').createIndex({ placedAt: 1 }); }
 *   @RollbackBeforeExecution() async unindex({ db }: MongoChangeContext) { await db.collection('orders').dropIndex('placedAt_1'); }
 *   @Execution() async backfill({ db }: MongoChangeContext) { await db.collection('orders').updateMany({ placedAt: null }, { $set: { placedAt: new Date(0) } }); }
 *   @RollbackExecution() async unfill({ db }: MongoChangeContext) { await db.collection('orders').updateMany({ placedAt: new Date(0) }, { $set: { placedAt: null } }); }
 * }
 * ```
 */
export function RollbackBeforeExecution() {
  return roleDecorator('rollbackBefore');
}

/**
 * Optional step run after the unit's execution committed, outside its transaction, recorded as
 * its own entry `<id>_after` (work that must not run inside a transaction, such as dropping the
 * old collection once the copy committed). If it fails the unit stays EXECUTED, the after-step is
 * recorded FAILED and runs again on the next migration: write it so that running twice is harmless.
 *
 * @example The old collection is dropped once the copy committed.
 * ```ts
 * import { AfterExecution, ChangeUnit, Execution, RollbackAfterExecution, RollbackExecution } from 'mongock';
 * import type { MongoChangeContext } from 'mongock/mongodb';
 *
 * @ChangeUnit({ id: 'customers-rename', order: '006', author: 'dev' })
 * export class CustomersRename {
 *   @Execution() async copy({ db }: MongoChangeContext) {
 *     await db.collection('clients').aggregate([{ $match: {} }, { $out: 'customers' }]).toArray();
 *   }
 *   @RollbackExecution() async uncopy({ db }: MongoChangeContext) { await db.collection('customers').drop(); }
 *   @AfterExecution() async dropOld({ db }: MongoChangeContext) { await db.collection('clients').drop().catch(() => false); }
 *   @RollbackAfterExecution() async restoreOld({ db }: MongoChangeContext) {
 *     await db.collection('customers').aggregate([{ $match: {} }, { $out: 'clients' }]).toArray();
 *   }
 * }
 * ```
 */
export function AfterExecution() {
  return roleDecorator('after');
}

/**
 * Undoes `@AfterExecution` (run first by `undo`); required when it is present.
 *
 * @example An after-step that publishes, and its rollback that withdraws.
 * ```ts
 * import { AfterExecution, ChangeUnit, Execution, RollbackAfterExecution, RollbackExecution } from 'mongock';
 * import type { MemoryChangeContext } from 'mongock/driver';
 *
 * @ChangeUnit({ id: 'price-list', order: '007', author: 'shop' })
 * export class PriceList {
 *   @Execution() async build({ kv }: MemoryChangeContext) { await kv.set('prices:draft', { tea: 3 }); }
 *   @RollbackExecution() async unbuild({ kv }: MemoryChangeContext) { await kv.delete('prices:draft'); }
 *   @AfterExecution() async publish({ kv }: MemoryChangeContext) { await kv.set('prices:live', await kv.get('prices:draft')); }
 *   @RollbackAfterExecution() async withdraw({ kv }: MemoryChangeContext) { await kv.delete('prices:live'); }
 * }
 * ```
 */
export function RollbackAfterExecution() {
  return roleDecorator('rollbackAfter');
}

/**
 * Legacy (Mongock 3/4) container of `@ChangeSet` methods.
 *
 * @example A Mongock 4 changelog kept as it was written.
 * ```ts
 * import { ChangeLog, ChangeSet } from 'mongock';
 * import type { MongoChangeContext } from 'mongock/mongodb';
 *
 * @ChangeLog({ order: '001' })
 * export class DatabaseChangelog {
 *   @ChangeSet({ id: 'add-admin', order: '001', author: 'ops' })
 *   async addAdmin({ db }: MongoChangeContext) { await db.collection('users').insertOne({ name: 'admin' }); }
 * }
 * ```
 */
export function ChangeLog(options: ChangeLogOptions = {}) {
  const frozen = Object.freeze({ ...options });
  return classDecorator((marks) => {
    marks.changeLog = frozen;
  });
}

/**
 * Legacy (Mongock 3/4) change: one method of a `@ChangeLog` class. It has no rollback.
 *
 * @example `runAlways` re-runs the change set at every migration (its entry is updated each time).
 * ```ts
 * import { ChangeLog, ChangeSet } from 'mongock';
 * import type { MemoryChangeContext } from 'mongock/driver';
 *
 * @ChangeLog({ order: '002' })
 * export class CacheChangelog {
 *   @ChangeSet({ id: 'warm-cache', order: '001', author: 'ops', runAlways: true })
 *   async warm({ kv }: MemoryChangeContext) { await kv.set('cache:warmed-at', new Date().toISOString()); }
 * }
 * ```
 */
export function ChangeSet(options: ChangeSetOptions) {
  const frozen = Object.freeze({ ...options });
  return methodDecorator((mark) => ({ ...mark, changeSet: frozen }));
}

/**
 * Limits a change unit class or a ChangeSet method to profiles: `@Profile('dev')`,
 * `@Profile('!prod')`, `@Profile('dev', 'test')`. With no active profiles, `default` is active.
 *
 * @example Demo data everywhere but in production.
 * ```ts
 * import { ChangeUnit, Execution, Profile, RollbackExecution } from 'mongock';
 * import type { SqliteChangeContext } from 'mongock/sqlite';
 *
 * @Profile('!prod')
 * @ChangeUnit({ id: 'demo-data', order: '008', author: 'dev' })
 * export class DemoData {
 *   @Execution() async seed({ sql }: SqliteChangeContext) { await sql.run("INSERT INTO products (name) VALUES ('demo')"); }
 *   @RollbackExecution() async unseed({ sql }: SqliteChangeContext) { await sql.run("DELETE FROM products WHERE name = 'demo'"); }
 * }
 * ```
 */
export function Profile(...profiles: string[]) {
  return (...args: unknown[]): void => {
    const [target, context] = args;
    const isClass = isStandardContext(context) ? context.kind === 'class' : typeof target === 'function' && context === undefined;
    if (isClass) {
      // The class itself is at hand in both modes, and class decorators may run in any order.
      marksFor(target as object).profiles.push(...profiles);
      return;
    }
    methodDecorator((mark) => ({ ...mark, profiles: [...mark.profiles, ...profiles] }))(...args);
  };
}

/** What the decorators recorded on `target`, or undefined when it carries no class decorator. */
export function readClassMarks(target: unknown): Readonly<ClassMarks> | undefined {
  if (typeof target !== 'function') return undefined;
  const marks = marksByClass.get(target);
  return marks?.unit !== undefined || marks?.changeLog !== undefined ? marks : undefined;
}
