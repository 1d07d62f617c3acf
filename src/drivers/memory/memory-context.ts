import type { LockGuard } from '../driver.ts';

/** The in-memory driver's handle for change units: every call first checks the lock. */
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
