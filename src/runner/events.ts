import type { MongockError } from '../errors/mongock-error.ts';
import type { ItemResult, MigrationResult } from './migration-result.ts';

/** The events a runner emits, by name, with their payloads. */
export interface MongockEvents {
  'migration-started': { readonly executionId: string };
  'migration-succeeded': { readonly result: MigrationResult };
  'migration-failed': { readonly error: MongockError };
  'lock-waiting': { readonly holder: string | null; readonly waitedMs: number };
  'lock-acquired': { readonly owner: string };
  'unit-started': { readonly changeId: string; readonly author: string };
  'unit-finished': { readonly item: ItemResult };
  /** After every batch of a batched unit, once its checkpoint is committed. */
  'batch-progress': BatchProgress;
}

/** Where a batched unit stands after a batch. Counts include earlier runs (from the checkpoint); the rate is this run's. */
export interface BatchProgress {
  readonly changeId: string;
  readonly author: string;
  readonly direction: 'execute' | 'rollback';
  readonly batches: number;
  readonly processed: number;
  /** The source's cheap estimate (a COUNT), read when the unit started; absent when it has none. */
  readonly estimatedTotal?: number;
  /** Items per second in this run. */
  readonly ratePerSecond: number;
  /** Time left at this rate, when there is an estimate. */
  readonly etaMs?: number;
  /** Whether this batch was the last one. */
  readonly done: boolean;
}

/** The name of an event a runner emits (`runner.on(name, listener)`). */
export type MongockEventName = keyof MongockEvents;
/**
 * A listener of one runner event: it receives that event's payload and runs synchronously; one that
 * throws is logged, not fatal.
 */
export type MongockListener<E extends MongockEventName> = (payload: MongockEvents[E]) => void;

/** A small typed emitter: listeners run synchronously; one that throws is logged, not fatal. */
export class EventBus {
  readonly #listeners = new Map<MongockEventName, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends MongockEventName>(event: E, listener: MongockListener<E>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Whether anyone listens to `event`: a payload that costs work per batch is built only then. */
  listens(event: MongockEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends MongockEventName>(event: E, payload: MongockEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as MongockListener<E>)(payload);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
