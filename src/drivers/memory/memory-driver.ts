import type { BaseChangeContext } from '../../change/change-unit.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import type { CheckpointStore, Driver, DriverCapabilities, DriverConnection, Scope, ScopeOptions } from '../driver.ts';
import { MemoryKeyValue } from './memory-context.ts';
import { MemoryLock } from './memory-lock.ts';

/**
 * The shared state of an in-memory "database": several runners may use one, as processes share a server.
 *
 * @example Two runners on one database, as two replicas on one server.
 * ```ts
 * import { createRunner } from 'mongock';
 * import { MemoryDatabase, memoryDriver } from 'mongock/driver';
 *
 * const database = new MemoryDatabase();
 * const first = createRunner({ driver: memoryDriver({ database }), changeUnits: [] });
 * const second = createRunner({ driver: memoryDriver({ database }), changeUnits: [] });
 * await Promise.all([first.execute(), second.execute()]);
 * console.log(database.history.length, database.calls.get('readHistory'));
 * ```
 */
export class MemoryDatabase {
  data = new Map<string, unknown>();
  history: ChangeEntry[] = [];
  readonly lock = new MemoryLock(() => this.now());
  historyPrepared = false;
  /** Batched steps' checkpoints by `changeId author`; `undefined` until the store is prepared. */
  checkpoints: Map<string, BatchCheckpoint> | undefined;
  /** The database's clock; tests move it to expire leases. */
  now: () => number = Date.now;
  /** Round trips made, by operation: lets tests and benchmarks count them. */
  readonly calls = new Map<string, number>();

  count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }
}

/** What change units receive from the in-memory driver. */
export interface MemoryChangeContext extends BaseChangeContext {
  /** A guarded key-value store; writes in a transactional unit apply at commit. */
  readonly kv: MemoryKeyValue;
}

/**
 * What `memoryDriver()` takes: the database to share between drivers (a fresh one by default), and
 * whether it offers transactions.
 */
export interface MemoryDriverOptions {
  readonly database?: MemoryDatabase;
  /** Default true. */
  readonly transactions?: boolean;
}

/**
 * The reference driver: everything the contract asks, in memory, for unit tests of the core.
 * Not for production (nothing persists, nothing crosses processes).
 *
 * @example
 * ```ts
 * import { defineChangeUnit, MongockBuilder } from 'mongock';
 * import { type MemoryChangeContext, memoryDriver } from 'mongock/driver';
 *
 * const driver = memoryDriver();
 * const seed = defineChangeUnit<MemoryChangeContext>({
 *   id: 'seed', order: '001',
 *   execute: ({ kv }) => kv.set('seeded', true),
 *   rollback: ({ kv }) => kv.delete('seeded'),
 * });
 * await new MongockBuilder<MemoryChangeContext>().setDriver(driver).addChangeUnits(seed).buildRunner().execute();
 * console.log(driver.database.data.get('seeded')); // true
 * ```
 */
export function memoryDriver(options: MemoryDriverOptions = {}): Driver<MemoryChangeContext> & { readonly database: MemoryDatabase } {
  const database = options.database ?? new MemoryDatabase();
  const capabilities: DriverCapabilities = Object.freeze({
    transactions: options.transactions ?? true,
    lease: true,
    transactionalDdl: true,
    legacyImport: true,
  });
  return Object.freeze({
    name: 'memory',
    capabilities,
    database,
    async connect(): Promise<DriverConnection<MemoryChangeContext>> {
      database.count('connect');
      return new MemoryDriverConnection(database, capabilities);
    },
  });
}

class MemoryDriverConnection implements DriverConnection<MemoryChangeContext> {
  readonly #db: MemoryDatabase;
  readonly capabilities: DriverCapabilities;
  readonly lock: MemoryLock;
  readonly checkpoints: CheckpointStore;

  constructor(db: MemoryDatabase, capabilities: DriverCapabilities) {
    this.#db = db;
    this.capabilities = capabilities;
    this.lock = db.lock;
    this.checkpoints = {
      read: async () => {
        db.count('readCheckpoints');
        return [...(db.checkpoints?.values() ?? [])].map((checkpoint) => ({ ...checkpoint }));
      },
      prepare: async () => {
        db.count('prepareCheckpoints');
        db.checkpoints ??= new Map();
      },
    };
  }

  async readHistory(): Promise<ChangeEntry[]> {
    this.#db.count('readHistory');
    return this.#db.history.map((entry) => ({ ...entry }));
  }

  async prepareHistory(): Promise<void> {
    this.#db.count('prepareHistory');
    this.#db.historyPrepared = true;
  }

  async runInScope<T>(options: ScopeOptions, work: (scope: Scope<MemoryChangeContext>) => Promise<T>): Promise<T> {
    const db = this.#db;
    if (!options.transactional) {
      const kv = new MemoryKeyValue(db.data, options.guard);
      return work({
        context: { kv },
        saveEntry: async (entry) => {
          db.count('saveEntry');
          this.lock.assertOwner(options.lease);
          upsert(db.history, entry);
        },
        saveCheckpoint: async (checkpoint) => {
          db.count('saveCheckpoint');
          this.lock.assertOwner(options.lease);
          storeCheckpoint(db, checkpoint);
        },
      });
    }
    const staged = new Map(db.data);
    const entries: NewChangeEntry[] = [];
    const checkpoints: BatchCheckpoint[] = [];
    const kv = new MemoryKeyValue(staged, options.guard);
    const result = await work({
      context: { kv },
      saveEntry: async (entry) => void entries.push(entry),
      saveCheckpoint: async (checkpoint) => void checkpoints.push(checkpoint),
    });
    // Commit: fenced, so a holder that lost its lease cannot commit.
    db.count('commit');
    this.lock.assertOwner(options.lease);
    db.data = staged;
    for (const entry of entries) upsert(db.history, entry);
    for (const checkpoint of checkpoints) storeCheckpoint(db, checkpoint);
    return result;
  }

  async now(): Promise<Date> {
    return new Date(this.#db.now());
  }

  async readLegacyRecords(origin: string): Promise<Array<Record<string, unknown>>> {
    const records = this.#db.data.get(origin);
    return Array.isArray(records) ? records : [];
  }

  async close(): Promise<void> {}
}

function storeCheckpoint(db: MemoryDatabase, checkpoint: BatchCheckpoint): void {
  if (db.checkpoints === undefined) throw new Error('The checkpoint store was not prepared (prepare() is called under the lock before the first batch).');
  db.checkpoints.set(`${checkpoint.changeId}\u0000${checkpoint.author}`, { ...checkpoint });
}

/** An update keeps the entry's place in the history order, as the databases' row order does. */
function upsert(history: ChangeEntry[], entry: NewChangeEntry): void {
  const stamped: ChangeEntry = { ...entry, timestamp: entry.timestamp ?? new Date() };
  const index = history.findIndex((e) => e.executionId === entry.executionId && e.changeId === entry.changeId && e.author === entry.author);
  if (index === -1) history.push(stamped);
  else history[index] = stamped;
}
