import { leaseLostError } from '../../errors/error-builders.ts';
import { corruptMarkerError, describeMarkerProblem, type MarkerReading, readInProgressMarker } from '../../lock/in-progress-marker.ts';
import { LOCK_KEY } from '../../lock/lock-config.ts';
import type { InProgressChange, LockAttempt, LockHolder, LockLease, LockPrimitive, LockRequest } from '../driver.ts';
import type { PostgresSession } from './postgres-session.ts';
import { type AdvisoryKey, advisoryHolderSql, createTableError, qualify } from './postgres-sql.ts';

/** What this driver's lock is called in messages (the same constant in every driver folder). */
export const LOCK_NAME = 'the PostgreSQL advisory lock';

interface InfoRow {
  owner: string | null;
  hostname: string | null;
  acquired_at: Date | string | null;
  backend_pid: number | null;
  in_progress: InProgressJson | string | null;
}

type InProgressJson = Omit<InProgressChange, 'startedAt'> & { startedAt: string };

/**
 * A session advisory lock (`pg_try_advisory_lock`) on the run's dedicated connection, plus a
 * small info table that says who holds it.
 *
 * - The advisory lock is the truth: PostgreSQL grants it to one session at a time and releases
 *   it when that session ends, so a crashed or killed holder never leaves a lock behind. Each
 *   attempt is a non-blocking try, so the core's retry loop governs waiting and a waiter that
 *   gives up leaves nothing queued in `pg_locks`.
 * - The info row (owner, hostname, acquired_at, backend_pid, fence, in_progress) is written
 *   right after the grant, for `status` and for the wait-timeout message. `inspect` checks
 *   `pg_locks` to tell a live holder from the stale row of a dead one.
 * - `in_progress` marks a non-transactional change that is running; it survives release and a
 *   crash, and the next grant reports it as `interrupted`.
 * - The lock table is created only while holding the advisory lock, so processes bootstrapping
 *   an empty database never race in CREATE TABLE.
 */
export class PostgresLock implements LockPrimitive {
  readonly #session: PostgresSession;
  readonly #table: string;
  readonly #key: AdvisoryKey;
  #held: LockLease | undefined;
  /**
   * Set as soon as the advisory lock is granted, cleared only by an unlock the server confirmed:
   * while set, this connection must never go back to a pool (it may still hold the lock).
   */
  #mayHold = false;

  /** Known to exist (seen at connect time, or created): no catalogue query before using it. */
  #exists: boolean;

  constructor(session: PostgresSession, schema: string, table: string, key: AdvisoryKey, exists: boolean) {
    this.#session = session;
    this.#table = qualify(schema, table);
    this.#key = key;
    this.#exists = exists;
  }

  get exists(): boolean {
    return this.#exists;
  }

  get qualifiedName(): string {
    return this.#table;
  }

  /** The fence of the lease this connection holds, if any. */
  get grantedFence(): number | undefined {
    return this.#held?.fence;
  }

  /** Whether `lease` is the one this connection was granted and has not released. */
  owns(lease: LockLease): boolean {
    return this.#isHeld(lease);
  }

  async tryAcquire(request: LockRequest): Promise<LockAttempt> {
    // Advisory locks are re-entrant within a session: never take it twice on one connection.
    if (this.#held !== undefined) return { acquired: false, holder: await this.inspect() };
    const { rows } = await this.#session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.#key.key]);
    if (rows[0]?.locked !== true) return { acquired: false, holder: await this.inspect() };
    this.#mayHold = true;
    try {
      await this.#createTable();
      const { rows: granted } = await this.#session.query<{ fence: string; in_progress: InProgressJson | string | null }>(
        `INSERT INTO ${this.#table} AS t (lock_key, owner, hostname, acquired_at, backend_pid, fence)
           VALUES ($1, $2, $3, now(), pg_backend_pid(), 1)
         ON CONFLICT (lock_key) DO UPDATE SET owner = excluded.owner, hostname = excluded.hostname,
           acquired_at = excluded.acquired_at, backend_pid = excluded.backend_pid, fence = t.fence + 1
         RETURNING fence, in_progress`,
        [LOCK_KEY, request.owner, request.hostname],
      );
      const lease: LockLease = { owner: request.owner, fence: Number(granted[0]!.fence) };
      this.#held = lease;
      this.#session.watch(request.onLost);
      const marker = readInProgressMarker(granted[0]!.in_progress);
      if (marker.problem !== undefined) throw corruptMarkerError(this.#where(), marker.problem);
      return { acquired: true, lease, interrupted: marker.marker };
    } catch (error) {
      await this.#unlock().catch(() => false);
      throw error;
    }
  }

  /** Session locks do not expire; true while this connection still holds the lock for `lease`. */
  async renew(lease: LockLease, _leaseMs: number): Promise<boolean> {
    if (!this.#isHeld(lease) || !this.#session.alive) return false;
    return this.holds(lease);
  }

  async release(lease: LockLease): Promise<boolean> {
    if (!this.#isHeld(lease)) return false;
    this.#held = undefined;
    this.#session.unwatch();
    // A dead session's lock was already released by the server, with the connection.
    if (!this.#session.alive) return false;
    let unlocked = false;
    try {
      await this.#session.query(
        `UPDATE ${this.#table} SET owner = NULL, hostname = NULL, acquired_at = NULL, backend_pid = NULL WHERE lock_key = $1 AND owner = $2 AND fence = $3`,
        [LOCK_KEY, lease.owner, lease.fence],
      );
    } finally {
      // Whatever happened to the row, the session lock itself must go.
      unlocked = await this.#unlock();
    }
    return unlocked;
  }

  async markInProgress(lease: LockLease, change: InProgressChange | null): Promise<void> {
    if (!this.#isHeld(lease)) throw leaseLostError(lease, LOCK_NAME);
    const result = await this.#session.query(`UPDATE ${this.#table} SET in_progress = $4::jsonb WHERE lock_key = $1 AND owner = $2 AND fence = $3`, [
      LOCK_KEY,
      lease.owner,
      lease.fence,
      change === null ? null : JSON.stringify(change),
    ]);
    if (result.rowCount !== 1) throw leaseLostError(lease, LOCK_NAME);
  }

  async inspect(): Promise<LockHolder | null> {
    const { rows } = await this.#session.query<{ exists: boolean; holder_pid: number | null }>(
      `SELECT to_regclass($3) IS NOT NULL AS exists, (${advisoryHolderSql()} LIMIT 1) AS holder_pid`,
      [this.#key.classid, this.#key.objid, this.#table],
    );
    const holderPid = rows[0]?.holder_pid ?? null;
    let info: InfoRow | undefined;
    if (rows[0]?.exists === true) {
      const result = await this.#session.query<InfoRow>(
        `SELECT owner, hostname, acquired_at, backend_pid, in_progress FROM ${this.#table} WHERE lock_key = $1`,
        [LOCK_KEY],
      );
      info = result.rows[0];
    }
    const marker = readInProgressMarker(info?.in_progress ?? null);
    const inProgress = marker.marker;
    const problem = this.#problem(marker);
    if (holderPid !== null) {
      // The row describes the holder only if it was written by the session that holds the lock
      // (a new holder may not have written it yet, right after its grant).
      const current = info !== undefined && info.owner !== null && Number(info.backend_pid) === Number(holderPid);
      return {
        owner: current ? info!.owner! : `unknown runner (PostgreSQL backend pid ${holderPid})`,
        hostname: current ? (info!.hostname ?? '') : '',
        acquiredAt: current ? toDate(info!.acquired_at) : null,
        expiresAt: null,
        expired: false,
        inProgress,
        ...problem,
      };
    }
    if (info === undefined || (info.owner === null && info.in_progress === null)) return null;
    // Nobody holds the advisory lock: the row is what a dead holder left (or just its marker).
    return {
      owner: info.owner ?? '',
      hostname: info.hostname ?? '',
      acquiredAt: toDate(info.acquired_at),
      expiresAt: null,
      expired: true,
      inProgress,
      ...problem,
    };
  }

  #where(): string {
    return `${this.#table} (row lock_key '${LOCK_KEY}')`;
  }

  #problem(marker: MarkerReading): { problem?: string } {
    return marker.problem === undefined ? {} : { problem: describeMarkerProblem(`PostgreSQL table ${this.#where()}`, marker.problem) };
  }

  /**
   * Clears the stale info and the in-progress marker a dead holder left. A live session's
   * advisory lock cannot be taken from it (only ending that session releases it, e.g.
   * `pg_terminate_backend`); then nothing is touched and the result is false.
   */
  async forceRelease(): Promise<boolean> {
    const holder = await this.inspect();
    if (holder === null || !holder.expired) return false;
    const result = await this.#session.query(
      `UPDATE ${this.#table} SET owner = NULL, hostname = NULL, acquired_at = NULL, backend_pid = NULL, in_progress = NULL
         WHERE lock_key = $3 AND (owner IS NOT NULL OR in_progress IS NOT NULL) AND NOT EXISTS (${advisoryHolderSql()})`,
      [this.#key.classid, this.#key.objid, LOCK_KEY],
    );
    return result.rowCount === 1;
  }

  /**
   * Asks the server whether this very session still holds the advisory lock and the info row
   * still names `lease` (for `renew`). Commits are not fenced with it: see
   * `PostgresDriverConnection.#fence` for why the session's own state already answers that.
   */
  async holds(lease: LockLease): Promise<boolean> {
    if (!this.#isHeld(lease)) return false;
    const { rows } = await this.#session.query<{ held: boolean }>(
      `SELECT EXISTS (${advisoryHolderSql('pg_backend_pid()')}) AND EXISTS (SELECT 1 FROM ${this.#table} WHERE lock_key = $3 AND owner = $4 AND fence = $5) AS held`,
      [this.#key.classid, this.#key.objid, LOCK_KEY, lease.owner, lease.fence],
    );
    return rows[0]?.held === true;
  }

  /**
   * Lets go of a lock still held when the connection closes (a caller that never released):
   * true when the session no longer holds it, false when that could not be confirmed.
   */
  async abandon(): Promise<boolean> {
    const lease = this.#held;
    try {
      if (lease !== undefined) await this.release(lease);
      else if (this.#mayHold && this.#session.alive) await this.#unlock();
    } catch {
      // reported below: the connection may still hold the lock
    }
    return !this.#mayHold;
  }

  #isHeld(lease: LockLease): boolean {
    return this.#held !== undefined && this.#held.owner === lease.owner && this.#held.fence === lease.fence;
  }

  async #unlock(): Promise<boolean> {
    const { rows } = await this.#session.query<{ unlocked: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS unlocked', [this.#key.key]);
    const unlocked = rows[0]?.unlocked === true;
    if (unlocked) this.#mayHold = false;
    return unlocked;
  }

  async #createTable(): Promise<void> {
    if (this.#exists) return;
    const { rows } = await this.#session.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [this.#table]);
    this.#exists = rows[0]?.exists === true;
    if (this.#exists) return;
    try {
      await this.#session.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        lock_key text PRIMARY KEY,
        owner text,
        hostname text,
        acquired_at timestamptz,
        backend_pid integer,
        fence bigint NOT NULL,
        in_progress jsonb
      )`);
    } catch (error) {
      throw createTableError(error, this.#table, 'lock');
    }
    this.#exists = true;
  }
}

function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
