import { leaseLostError } from '../../errors/error-builders.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import { corruptMarkerError, describeMarkerProblem, readInProgressMarker } from '../../lock/in-progress-marker.ts';
import { LOCK_KEY } from '../../lock/lock-config.ts';
import type { Logger } from '../../log/logger.ts';
import type { InProgressChange, LockAttempt, LockHolder, LockLease, LockPrimitive, LockRequest } from '../driver.ts';
import { ER, errorCode } from './mysql-client.ts';
import type { SeenLockRow } from './mysql-history.ts';
import type { MysqlSession } from './mysql-session.ts';
import { fromDatetime, lockName, quoteIdentifier } from './mysql-sql.ts';
import { accessError, readCreating } from './mysql-table-access.ts';

/** What this driver's lock is called in messages (the same constant in every driver folder). */
export const LOCK_NAME = 'the MySQL/MariaDB lock';

/** The single row's key in the lock table, as Java Mongock's `DEFAULT_KEY`. */

/**
 * The lock table's DDL. The lock itself is `GET_LOCK`; this table only says who holds it (for
 * `status` and wait messages), keeps the fence counter, and keeps the in-progress marker of a
 * non-transactional change, which must outlive the session that wrote it.
 */
export function lockTableDdl(qualifiedName: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName} (
  lock_key VARCHAR(64) NOT NULL,
  owner VARCHAR(255) NULL,
  hostname VARCHAR(255) NULL,
  connection_id BIGINT UNSIGNED NULL,
  acquired_at DATETIME(3) NULL,
  fence BIGINT NOT NULL DEFAULT 0,
  in_progress JSON NULL,
  PRIMARY KEY (lock_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

interface LockRow {
  owner: string | null;
  hostname: string | null;
  connection_id: number | string | null;
  acquired_at: string | null;
  fence: number | string;
  in_progress: unknown;
}

/**
 * MySQL/MariaDB's session lock. `GET_LOCK(name, 0)` is one attempt that never queues, so the
 * core's retry loop governs waiting and a waiter that gives up leaves nothing behind; the lock
 * lives on the run's dedicated connection and dies with it (the core is told through
 * `request.onLost`). `IS_USED_LOCK(name)` says whether a live session really holds it, so a row
 * left by a crashed holder reads as `expired`.
 */
export class MysqlLock implements LockPrimitive {
  readonly #session: MysqlSession;
  readonly #logger: Logger;
  readonly #tableName: string;
  readonly #table: string;
  /** The `GET_LOCK` name (server-wide, so it names the database and the table). */
  readonly name: string;
  #lease: LockLease | undefined;
  /** Set when GET_LOCK granted, cleared only by a confirmed RELEASE_LOCK: then never pool this connection. */
  #mayHold = false;
  #stopWatching: (() => void) | undefined;

  constructor(session: MysqlSession, tableName: string, logger: Logger) {
    this.#session = session;
    this.#logger = logger;
    this.#tableName = tableName;
    this.#table = `${quoteIdentifier(session.database)}.${quoteIdentifier(tableName)}`;
    this.name = lockName(session.database, tableName);
  }

  async tryAcquire(request: LockRequest): Promise<LockAttempt> {
    // GET_LOCK is re-entrant per session; a second grant here would need two releases.
    if (this.#lease !== undefined) return { acquired: false, holder: await this.inspect() };
    const [row] = await this.#session.rows<{ got: number | null }>('SELECT GET_LOCK(?, 0) AS got', [this.name]);
    if (row?.got === 0) return { acquired: false, holder: await this.inspect() };
    if (row?.got === 1) this.#mayHold = true;
    if (row?.got !== 1) {
      throw new MongockError(
        'DRIVER_ERROR',
        `GET_LOCK('${this.name}') failed (returned ${String(row?.got)}): the server could not take the lock. Check its error log.`,
      );
    }
    try {
      const granted = await this.#grantSeen(request);
      if (granted !== undefined) return granted;
      const [previous] = await this.#readCreating();
      const marker = readInProgressMarker(previous?.in_progress ?? null);
      if (marker.problem !== undefined) throw corruptMarkerError(this.#where(), marker.problem);
      const fence = Number(previous?.fence ?? 0) + 1;
      const values = [request.owner, request.hostname, fence];
      await this.#session.run(
        `INSERT INTO ${this.#table} (lock_key, owner, hostname, connection_id, acquired_at, fence, in_progress)
         VALUES (?, ?, ?, CONNECTION_ID(), UTC_TIMESTAMP(3), ?, NULL)
         ON DUPLICATE KEY UPDATE owner = ?, hostname = ?, connection_id = CONNECTION_ID(), acquired_at = UTC_TIMESTAMP(3), fence = ?`,
        [LOCK_KEY, ...values, ...values],
      );
      return this.#granted(request, fence, marker.marker);
    } catch (error) {
      // Leave nothing behind: a failed bootstrap must not keep the lock for the rest of the session.
      await this.#releaseLock().catch(() => false);
      throw error;
    }
  }

  #granted(request: LockRequest, fence: number, interrupted: InProgressChange | null): LockAttempt {
    const lease: LockLease = { owner: request.owner, fence };
    this.#lease = lease;
    this.#stopWatching = this.#session.onLost((cause) => request.onLost(cause));
    return { acquired: true, lease, interrupted };
  }

  /**
   * The grant in one statement when this connection's history read saw the lock row (so the
   * table exists): the upsert increments the fence and reports it (`LAST_INSERT_ID(expr)` sets
   * the result's insert id). When that fence is the one after the fence seen, and the row named
   * no owner then, nobody held the lock in between (a forced release increments the fence too),
   * so the marker seen is still the row's. Otherwise the row is read again, under the lock.
   * Undefined: take the ordinary path (no row seen, a corrupt marker seen, the table gone).
   */
  async #grantSeen(request: LockRequest): Promise<LockAttempt | undefined> {
    const seen = this.#seenRow;
    this.#seenRow = undefined;
    if (seen === undefined || readInProgressMarker(seen.inProgress).problem !== undefined) return undefined;
    const values = [request.owner, request.hostname];
    let header: { insertId: number };
    try {
      header = await this.#session.run(
        `INSERT INTO ${this.#table} (lock_key, owner, hostname, connection_id, acquired_at, fence, in_progress)
         VALUES (?, ?, ?, CONNECTION_ID(), UTC_TIMESTAMP(3), LAST_INSERT_ID(1), NULL)
         ON DUPLICATE KEY UPDATE owner = ?, hostname = ?, connection_id = CONNECTION_ID(), acquired_at = UTC_TIMESTAMP(3), fence = LAST_INSERT_ID(fence + 1)`,
        [LOCK_KEY, ...values, ...values],
      );
    } catch (error) {
      if (errorCode(error).errno === ER.NO_SUCH_TABLE) return undefined;
      throw accessError(error, 'write', 'lock', this.#session.database, this.#tableName);
    }
    const fence = Number(header.insertId);
    const current = seen.free && fence === seen.fence + 1 ? seen.inProgress : ((await this.#read())[0]?.in_progress ?? null);
    const marker = readInProgressMarker(current);
    if (marker.problem !== undefined) throw corruptMarkerError(this.#where(), marker.problem);
    return this.#granted(request, fence, marker.marker);
  }

  /** What this connection's last history read (outside the lock) saw of the lock row; see {@link #grantSeen}. */
  seen(row: SeenLockRow | undefined): void {
    this.#seenRow = row;
  }

  #seenRow: SeenLockRow | undefined;

  /** The lock table, qualified and quoted, for the history read that sees its row. */
  get qualifiedName(): string {
    return this.#table;
  }

  /** The fence of the lease this connection holds, if any. */
  get grantedFence(): number | undefined {
    return this.#lease?.fence;
  }

  /** Session locks do not expire: the lease holds while this connection holds the lock. */
  async renew(lease: LockLease): Promise<boolean> {
    return this.owns(lease) && (await this.#heldHere());
  }

  async release(lease: LockLease): Promise<boolean> {
    if (!this.owns(lease)) return false;
    this.#forget();
    if (this.#session.lostCause !== undefined) return false;
    let clearFailed: unknown;
    try {
      await this.#session.run(
        `UPDATE ${this.#table} SET owner = NULL, hostname = NULL, connection_id = NULL, acquired_at = NULL WHERE lock_key = ? AND owner = ? AND fence = ?`,
        [LOCK_KEY, lease.owner, lease.fence],
      );
    } catch (error) {
      clearFailed = error;
    }
    // The session lock is released even when its row could not be cleared (the row then reads as expired).
    const released = await this.#releaseLock();
    if (clearFailed !== undefined) throw clearFailed;
    return released;
  }

  async markInProgress(lease: LockLease, change: InProgressChange | null): Promise<void> {
    if (!this.owns(lease)) throw leaseLostError(lease, LOCK_NAME, 'this runner does not hold the lock');
    const value = change === null ? null : JSON.stringify(change);
    const result = await this.#session.run(`UPDATE ${this.#table} SET in_progress = ? WHERE lock_key = ? AND owner = ? AND fence = ?`, [
      value,
      LOCK_KEY,
      lease.owner,
      lease.fence,
    ]);
    if (result.affectedRows === 1) return;
    // Without CLIENT_FOUND_ROWS an unchanged row counts 0: look before calling it lost.
    const [row] = await this.#read();
    if (row?.owner !== lease.owner || Number(row.fence) !== lease.fence)
      throw leaseLostError(lease, LOCK_NAME, 'the lock table no longer names it (was the lock forcibly released?)');
  }

  async inspect(): Promise<LockHolder | null> {
    const [used] = await this.#session.rows<{ holder: number | string | null }>('SELECT IS_USED_LOCK(?) AS holder', [this.name]);
    const holderConnection = used?.holder == null ? null : Number(used.holder);
    let row: LockRow | undefined;
    try {
      [row] = await this.#read();
    } catch (error) {
      if (errorCode(error).errno !== ER.NO_SUCH_TABLE) throw accessError(error, 'read', 'lock', this.#session.database, this.#tableName);
    }
    const marker = readInProgressMarker(row?.in_progress ?? null);
    const inProgress = marker.marker;
    const problem = marker.problem === undefined ? {} : { problem: describeMarkerProblem(`MySQL/MariaDB table ${this.#where()}`, marker.problem) };
    if (holderConnection === null) {
      if (row === undefined || (row.owner === null && row.in_progress == null)) return null;
      // Nobody holds the session lock: whoever the row names is gone (its session ended).
      return { ...describeRow(row), expired: true, inProgress, ...problem };
    }
    if (row !== undefined && row.owner !== null && Number(row.connection_id) === holderConnection) {
      return { ...describeRow(row), expired: false, inProgress, ...problem };
    }
    // Held, but the row does not name the holder yet (it is between GET_LOCK and its write).
    return { owner: `MySQL connection ${holderConnection}`, hostname: 'unknown', acquiredAt: null, expiresAt: null, expired: false, inProgress, ...problem };
  }

  #where(): string {
    return `${this.#table} (row lock_key '${LOCK_KEY}')`;
  }

  /**
   * Clears the holder and the in-progress marker. A session lock cannot be taken from a live
   * session: if one still holds it, its row is kept, a warning says how to end that session
   * (`KILL <id>`), and false is returned.
   */
  async forceRelease(): Promise<boolean> {
    if (this.#lease !== undefined) {
      this.#forget();
      await this.#releaseLock();
    }
    const [used] = await this.#session.rows<{ holder: number | string | null }>('SELECT IS_USED_LOCK(?) AS holder', [this.name]);
    const holderConnection = used?.holder == null ? null : Number(used.holder);
    let changed: number;
    try {
      const result =
        holderConnection === null
          ? await this.#session.run(
              // The fence moves on: a grant can tell that the row changed since a history read saw it.
              `UPDATE ${this.#table} SET owner = NULL, hostname = NULL, connection_id = NULL, acquired_at = NULL, in_progress = NULL, fence = fence + 1
               WHERE lock_key = ? AND (owner IS NOT NULL OR in_progress IS NOT NULL)`,
              [LOCK_KEY],
            )
          : // A live holder's marker is its crash record: clearing it would hide a crash that follows.
            { affectedRows: 0 };
      changed = result.affectedRows;
    } catch (error) {
      if (errorCode(error).errno === ER.NO_SUCH_TABLE) return false;
      throw accessError(error, 'write', 'lock', this.#session.database, this.#tableName);
    }
    if (holderConnection !== null) {
      this.#logger.warn(
        `The lock '${this.name}' is held by the live MySQL/MariaDB connection ${holderConnection}; a session lock ends only with its session. ` +
          `Stop that process, or end the session with \`KILL ${holderConnection}\`.`,
      );
      return false;
    }
    return changed > 0;
  }

  /** Whether `lease` is the one this connection was granted. */
  owns(lease: LockLease): boolean {
    return this.#lease !== undefined && this.#lease.owner === lease.owner && this.#lease.fence === lease.fence;
  }

  /**
   * The fence of every commit, without a round trip: throws LOCK_LOST unless `lease` is ours and
   * this session is alive. `GET_LOCK` belongs to this session; only its own `RELEASE_LOCK` (ours,
   * tracked here) or the end of the session frees it, and the end of the session rolls back the
   * open transaction, so a COMMIT that succeeds was made while the lock was held. Asking
   * `IS_USED_LOCK()` before each commit could only repeat that.
   */
  fence(lease: LockLease): void {
    if (!this.owns(lease)) throw leaseLostError(lease, LOCK_NAME, 'this runner does not hold the lock');
    if (this.#session.lostCause !== undefined) throw leaseLostError(lease, LOCK_NAME, `the connection holding '${this.name}' was lost`);
  }

  /** Releases a lock still held when the connection goes away (a run that did not release it); false when it could not. */
  /** Lets go of a lock still held at close: false when this connection may still hold it (destroy it, never pool it). */
  async dispose(): Promise<boolean> {
    const lease = this.#lease;
    try {
      if (lease !== undefined) await this.release(lease);
      else if (this.#mayHold && this.#session.lostCause === undefined) await this.#releaseLock();
    } catch {
      // reported below
    }
    return !this.#mayHold;
  }

  /** RELEASE_LOCK, checked; only a confirmed release clears {@link #mayHold}. */
  async #releaseLock(): Promise<boolean> {
    const [row] = await this.#session.rows<{ released: number | null }>('SELECT RELEASE_LOCK(?) AS released', [this.name]);
    if (row?.released === 1) this.#mayHold = false;
    return row?.released === 1;
  }

  #forget(): void {
    this.#lease = undefined;
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }

  async #heldHere(): Promise<boolean> {
    if (this.#session.lostCause !== undefined) return false;
    const [row] = await this.#session.rows<{ ours: number | null }>('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS ours', [this.name]);
    return row?.ours === 1;
  }

  /**
   * The lock row, creating the table when it is missing (under GET_LOCK, so by one process at a
   * time). Reading the row is the existence check: a table a DBA created from the documented DDL
   * is used as it is, by a role without CREATE.
   */
  async #readCreating(): Promise<LockRow[]> {
    return readCreating(this.#session, { what: 'lock', name: this.#tableName, ddl: lockTableDdl(this.#table) }, () => this.#read(), []);
  }

  #read(): Promise<LockRow[]> {
    return this.#session.rows<LockRow>(
      `SELECT owner, hostname, connection_id, CAST(acquired_at AS CHAR) AS acquired_at, fence, in_progress FROM ${this.#table} WHERE lock_key = ?`,
      [LOCK_KEY],
    );
  }
}

function describeRow(row: LockRow): Omit<LockHolder, 'expired' | 'inProgress'> {
  return {
    owner: row.owner ?? '',
    hostname: row.hostname ?? '',
    acquiredAt: row.acquired_at === null ? null : fromDatetime(row.acquired_at),
    expiresAt: null,
  };
}
