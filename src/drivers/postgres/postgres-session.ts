import { MongockError } from '../../errors/mongock-error.ts';
import type { PostgresClient, PostgresQueryResult } from './postgres-client.ts';
import { timeoutError } from './postgres-client.ts';
import { isSessionFatal } from './postgres-sql.ts';

/**
 * The one dedicated connection of a run: it holds the session advisory lock, reads and writes
 * the history, and runs the change units, so losing it loses the lock and the work together.
 * It notices the loss from three sides (a query failing with a session-fatal error, the
 * client's `error` event, its `end` event) and tells the lock's `onLost` exactly once.
 */
export class PostgresSession {
  readonly client: PostgresClient;
  readonly #release: (broken: boolean) => Promise<void>;
  readonly #keepListeners: boolean;
  #dead: unknown;
  #diedHolding = false;
  #onLost: ((cause: unknown) => void) | undefined;
  #closed = false;
  readonly #onError = (error: Error) => this.#die(error);
  readonly #onEnd = () => this.#die(new Error('the PostgreSQL connection ended'));

  /**
   * `release(broken)` gives the client back (pool), closes it (own client) or leaves it (user's
   * client). `keepListeners`: for a client Mongock owns, whose late `error` event must still land
   * somewhere rather than crash the process.
   */
  constructor(client: PostgresClient, release: (broken: boolean) => Promise<void>, keepListeners: boolean) {
    this.client = client;
    this.#release = release;
    this.#keepListeners = keepListeners;
    client.on('error', this.#onError);
    client.on('end', this.#onEnd);
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  async query<T = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PostgresQueryResult<T>> {
    if (this.#dead !== undefined) throw this.#deadError();
    try {
      const answer = await this.client.query(text, values === undefined ? undefined : [...values]);
      // Several statements in one simple query answer one result each: the last one is the query's.
      const result = (Array.isArray(answer) ? answer[answer.length - 1] : answer) as typeof answer;
      return { rows: result.rows as T[], rowCount: result.rowCount, command: result.command };
    } catch (error) {
      // pg rejects the running query before it emits `error`; report the loss first so that the
      // caller's catch already sees the lock as lost, and say so in the error itself.
      if (!isSessionFatal(error)) throw timeoutError(error) ?? error;
      this.#die(error);
      throw this.#deadError();
    }
  }

  /** Calls `onLost` when the session dies while the lock is held (at once if it is already dead). */
  watch(onLost: (cause: unknown) => void): void {
    if (this.#dead !== undefined) {
      onLost(this.#dead);
      return;
    }
    this.#onLost = onLost;
  }

  unwatch(): void {
    this.#onLost = undefined;
  }

  /** `broken`: the connection must not be reused (e.g. it may still hold the advisory lock). */
  async close(broken = false): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onLost = undefined;
    if (!this.#keepListeners) {
      this.client.removeListener('error', this.#onError);
      this.client.removeListener('end', this.#onEnd);
    }
    await this.#release(broken || this.#dead !== undefined);
  }

  #die(cause: unknown): void {
    if (this.#dead !== undefined || this.#closed) return;
    this.#dead = cause;
    this.#diedHolding = this.#onLost !== undefined;
    const onLost = this.#onLost;
    this.#onLost = undefined;
    onLost?.(cause);
  }

  #deadError(): MongockError {
    const reason = this.#dead instanceof Error ? this.#dead.message : String(this.#dead);
    if (!this.#diedHolding) {
      return new MongockError('DRIVER_ERROR', `The PostgreSQL connection was lost (${reason}). Check the server and run again.`, { cause: this.#dead });
    }
    return new MongockError(
      'LOCK_LOST',
      `The PostgreSQL connection that held the Mongock lock is gone (${reason}); the server released the lock and rolled back the open transaction. Stopping; run again to finish.`,
      { cause: this.#dead },
    );
  }
}
