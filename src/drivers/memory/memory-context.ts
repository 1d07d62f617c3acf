import type { LockGuard } from '../driver.ts';

/**
 * The in-memory driver's handle for change units: every call first checks the lock.
 *
 * @example
 * ```ts
 * import { defineChangeUnit } from 'mongock';
 * import type { MemoryChangeContext } from 'mongock/driver';
 *
 * export default defineChangeUnit<MemoryChangeContext>({
 *   id: 'counter',
 *   order: '001',
 *   author: 'dev',
 *   async execute({ kv }) { await kv.set('count', ((await kv.get<number>('count')) ?? 0) + 1); },
 *   async rollback({ kv }) { await kv.delete('count'); },
 * });
 * ```
 */
export class MemoryKeyValue {
  readonly #data: Map<string, unknown>;
  readonly #guard: LockGuard;

  constructor(data: Map<string, unknown>, guard: LockGuard) {
    this.#data = data;
    this.#guard = guard;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    await this.#guard.ensure();
    return this.#data.get(key) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#guard.ensure();
    this.#data.set(key, value);
  }

  async delete(key: string): Promise<void> {
    await this.#guard.ensure();
    this.#data.delete(key);
  }
}
