import { leaseLostError } from '../../errors/error-builders.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import { corruptMarkerError, describeMarkerProblem, readInProgressMarker } from '../../lock/in-progress-marker.ts';
import { LOCK_KEY } from '../../lock/lock-config.ts';
import { isProcessGone, parseProcessIdentity } from '../../lock/process-identity.ts';
import type { ForceReleaseOptions, InProgressChange, LockAttempt, LockHolder, LockLease, LockPrimitive, LockRequest } from '../driver.ts';
import type { SqliteDatabase, SqliteStatement } from './sqlite-client.ts';
import { NOW_MS, quoteIdentifier } from './sqlite-sql.ts';

/** What this driver's lock is called in messages (the same constant in every driver folder). */
export const LOCK_NAME = 'the SQLite lock';

interface LockRow {
  owner: string | null;
  hostname: string | null;
  acquired_at: number | null;
  expires_at: number;
  lease_ms: number;
  fence: number;
  in_progress: string | null;
  holder_process?: string | null;
  now: number;
}

/**
 * A lease row in the lock table, written under SQLite's database write lock (`BEGIN
 * IMMEDIATE`), so that processes sharing the file take turns. Expiry is judged by SQLite's
 * clock; `fence` grows with every grant, and every commit of a change checks it (see
 * `SqliteDriverConnection.runInScope`), so a holder whose lease was taken over cannot commit.
 * The row is kept on release (owner cleared) so that the fence never goes back.
 */
export class SqliteLock implements LockPrimitive {
  readonly #db: SqliteDatabase;
  readonly #table: string;

  readonly #tableName: string;
  readonly #beforeFirstWrite: () => void;
  #busyTimeout: number | undefined;
  #prepared = false;
  #fenceStatement: SqliteStatement | undefined;

  constructor(db: SqliteDatabase, tableName: string, beforeFirstWrite: () => void = () => {}) {
    this.#db = db;
    this.#table = quoteIdentifier(tableName);
    this.#tableName = tableName;
    this.#beforeFirstWrite = beforeFirstWrite;
  }

  /** The connection's own busy timeout, read on first use: a start-up with nothing pending never takes the lock. */
  #busyTimeoutMs(): number {
    this.#busyTimeout ??= Number(this.#db.pragma('busy_timeout', { simple: true }));
    return this.#busyTimeout;
  }

  async tryAcquire(request: LockRequest): Promise<LockAttempt> {
    if (!this.#prepared) {
      this.#beforeFirstWrite();
      this.#prepared = true;
    }
    try {
      // One attempt waits for another process's write lock at most what is left of the budget.
      return this.#withBusyTimeout(request.maxWaitMs, () =>
        this.#immediate(() => {
          this.#create();
          const row = this.#read();
          if (row !== undefined && row.owner !== null && row.expires_at > row.now && !holderGone(row)) return { acquired: false, holder: this.#toHolder(row) };
          const marker = readInProgressMarker(row?.in_progress ?? null);
          if (marker.problem !== undefined) throw corruptMarkerError(this.#where(), marker.problem);
          const fence = (row?.fence ?? 0) + 1;
          this.#db
            .prepare(`INSERT INTO ${this.#table} (key, owner, hostname, acquired_at, expires_at, lease_ms, fence, in_progress, holder_process)
            VALUES (?, ?, ?, ${NOW_MS}, ${NOW_MS} + ?, ?, ?, NULL, ?)
            ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, hostname = excluded.hostname, acquired_at = excluded.acquired_at,
              expires_at = excluded.expires_at, lease_ms = excluded.lease_ms, fence = excluded.fence, in_progress = ${this.#table}.in_progress,
              holder_process = excluded.holder_process`)
            .run(
              LOCK_KEY,
              request.owner,
              request.hostname,
              request.leaseMs,
              request.leaseMs,
              fence,
              request.process == null ? null : JSON.stringify(request.process),
            );
          return { acquired: true, lease: { owner: request.owner, fence }, interrupted: marker.marker };
        }),
      );
    } catch (error) {
      // Another process is writing (it holds SQLite's write lock past the wait): it is busy, not
      // broken. The row (readable meanwhile in WAL mode) names who holds the lease.
      if (isBusy(error)) return { acquired: false, holder: this.#quietHolder() };
      throw error;
    }
  }

  async renew(lease: LockLease, leaseMs: number): Promise<boolean> {
    if (this.#db.inTransaction) {
      // A change's transaction is open on this connection and holds the write lock, so nobody can
      // take the lease meanwhile. The renewal is written inside it (others see it at commit);
      // until then `inspect` reads the held write lock as a live lease.
      const renewed = this.#db
        .prepare(`UPDATE ${this.#table} SET expires_at = ${NOW_MS} + ?, lease_ms = ? WHERE key = ? AND owner = ? AND fence = ?`)
        .run(leaseMs, leaseMs, LOCK_KEY, lease.owner, lease.fence);
      return renewed.changes === 1;
    }
    const result = this.#db
      .prepare(`UPDATE ${this.#table} SET expires_at = ${NOW_MS} + ?, lease_ms = ? WHERE key = ? AND owner = ? AND fence = ? AND expires_at > ${NOW_MS}`)
      .run(leaseMs, leaseMs, LOCK_KEY, lease.owner, lease.fence);
    return result.changes === 1;
  }

  async release(lease: LockLease): Promise<boolean> {
    const result = this.#db
      .prepare(`UPDATE ${this.#table} SET owner = NULL, hostname = NULL, acquired_at = NULL, expires_at = 0 WHERE key = ? AND owner = ? AND fence = ?`)
      .run(LOCK_KEY, lease.owner, lease.fence);
    return result.changes === 1;
  }

  async markInProgress(lease: LockLease, change: InProgressChange | null): Promise<void> {
    const value = change === null ? null : JSON.stringify(change);
    const result = this.#db
      .prepare(`UPDATE ${this.#table} SET in_progress = ? WHERE key = ? AND owner = ? AND fence = ?`)
      .run(value, LOCK_KEY, lease.owner, lease.fence);
    if (result.changes !== 1) throw leaseLostError(lease, LOCK_NAME);
  }

  async inspect(): Promise<LockHolder | null> {
    let row: LockRow | undefined;
    try {
      row = this.#read();
    } catch (error) {
      if (error instanceof Error && /no such table/i.test(error.message)) return null;
      throw error;
    }
    if (row === undefined || (row.owner === null && row.in_progress === null)) return null;
    return this.#toHolder(row, true);
  }

  async forceRelease(options: ForceReleaseOptions = {}): Promise<boolean> {
    try {
      // Under the write lock: a holder inside a change's transaction finishes (and renews) first,
      // and the expiry is judged in the same transaction that clears.
      return this.#immediate(() => {
        const row = this.#read();
        if (row === undefined || (row.owner === null && row.in_progress === null)) return false;
        if (options.onlyIfExpired === true && row.owner !== null && row.expires_at > row.now && !holderGone(row)) return false;
        const result = this.#db
          .prepare(
            `UPDATE ${this.#table} SET owner = NULL, hostname = NULL, acquired_at = NULL, expires_at = 0, in_progress = NULL WHERE key = ? AND (owner IS NOT NULL OR in_progress IS NOT NULL)`,
          )
          .run(LOCK_KEY);
        return result.changes === 1;
      });
    } catch (error) {
      if (error instanceof Error && /no such table/i.test(error.message)) return false;
      if (isBusy(error)) {
        throw new MongockError(
          'LOCK_NOT_ACQUIRED',
          `The lock in SQLite table ${this.#where()} was not cleared: another process kept the database write lock for ${this.#busyTimeoutMs()} ms (a holder inside a change's transaction is alive). Try again when it is done.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * The fence as a condition another statement carries (`… WHERE <sql>`), with its parameters:
   * true only while `lease` is the lock's current one. Inside a write transaction (`BEGIN
   * IMMEDIATE`) nobody else can change the lock row before COMMIT, so one statement that checks it
   * fences the whole transaction: a batch's checkpoint carries it, sparing a statement per batch.
   */
  fenceCondition(lease: LockLease): { readonly sql: string; readonly params: readonly unknown[] } {
    return { sql: `EXISTS (SELECT 1 FROM ${this.#table} WHERE key = ? AND owner = ? AND fence = ?)`, params: [LOCK_KEY, lease.owner, lease.fence] };
  }

  /**
   * The fencing write made inside every change's transaction, just before COMMIT: succeeds only
   * if the lease is still ours (same owner and fence), and renews it. Returns false otherwise.
   */
  fenceAndRenew(lease: LockLease): boolean {
    // Prepared once: every transaction's commit (each batch of a batched unit) runs it.
    this.#fenceStatement ??= this.#db.prepare(`UPDATE ${this.#table} SET expires_at = ${NOW_MS} + lease_ms WHERE key = ? AND owner = ? AND fence = ?`);
    const result = this.#fenceStatement.run(LOCK_KEY, lease.owner, lease.fence);
    return result.changes === 1;
  }

  owns(lease: LockLease): boolean {
    const row = this.#db.prepare(`SELECT owner, fence FROM ${this.#table} WHERE key = ?`).get(LOCK_KEY) as { owner: string | null; fence: number } | undefined;
    return row?.owner === lease.owner && row.fence === lease.fence;
  }

  #create(): void {
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      key TEXT PRIMARY KEY,
      owner TEXT,
      hostname TEXT,
      acquired_at INTEGER,
      expires_at INTEGER NOT NULL,
      lease_ms INTEGER NOT NULL,
      fence INTEGER NOT NULL,
      in_progress TEXT,
      holder_process TEXT
    )`);
    // Tables made by earlier versions lack the holder's process identity.
    const columns = this.#db.prepare(`SELECT name FROM pragma_table_info(?)`).all(this.#tableName) as { name: string }[];
    if (!columns.some((column) => column.name === 'holder_process')) this.#db.exec(`ALTER TABLE ${this.#table} ADD COLUMN holder_process TEXT`);
  }

  #where(): string {
    return `'${this.#tableName}' (row key '${LOCK_KEY}')`;
  }

  /** The holder as stored; `status` asks `probeWriteLock` so that a holder renewing inside a transaction reads as live. */
  #toHolder(row: LockRow, probeWriteLock = false): LockHolder {
    const marker = readInProgressMarker(row.in_progress);
    const process = parseProcessIdentity(row.holder_process) ?? null;
    const gone = row.owner !== null && holderGone(row);
    // A holder inside a change's transaction cannot write its renewal where others see it, but it
    // holds SQLite's write lock meanwhile: that is a live lease.
    const lapsed = row.owner === null || gone || (row.expires_at <= row.now && !(probeWriteLock && this.#writeLockedElsewhere()));
    return {
      owner: row.owner ?? '',
      hostname: row.hostname ?? '',
      acquiredAt: row.acquired_at === null ? null : new Date(row.acquired_at),
      expiresAt: row.owner === null ? null : new Date(row.expires_at),
      expired: lapsed,
      inProgress: marker.marker,
      process,
      gone,
      ...(marker.problem === undefined ? {} : { problem: describeMarkerProblem(`SQLite table ${this.#where()}`, marker.problem) }),
    };
  }

  #quietHolder(): LockHolder | null {
    try {
      const row = this.#read();
      return row === undefined || row.owner === null ? null : this.#toHolder(row);
    } catch {
      return null;
    }
  }

  /** True when another connection holds the database write lock right now (probed without waiting, writing nothing). */
  #writeLockedElsewhere(): boolean {
    if (this.#db.inTransaction) return false;
    try {
      return this.#withBusyTimeout(0, () => {
        this.#db.exec('BEGIN IMMEDIATE');
        this.#db.exec('ROLLBACK');
        return false;
      });
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      return isBusy(error);
    }
  }

  #withBusyTimeout<T>(maxWaitMs: number | undefined, work: () => T): T {
    if (maxWaitMs === undefined || maxWaitMs >= this.#busyTimeoutMs()) return work();
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(maxWaitMs))}`);
    try {
      return work();
    } finally {
      this.#db.pragma(`busy_timeout = ${this.#busyTimeoutMs()}`);
    }
  }

  #read(): LockRow | undefined {
    return this.#db.prepare(`SELECT *, ${NOW_MS} AS now FROM ${this.#table} WHERE key = ?`).get(LOCK_KEY) as LockRow | undefined;
  }

  #immediate<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

/**
 * SQLite's busy and locked codes with their extended forms: `SQLITE_BUSY_RECOVERY` is what a
 * connection meets while another process rebuilds the WAL index (the last connection to the file
 * had just closed), and it comes back at once when the attempt's wait is short.
 */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** The row's holder ran on this host and its process is gone (crashed, killed): take over at once. */
function holderGone(row: LockRow): boolean {
  const process = parseProcessIdentity(row.holder_process);
  return process !== undefined && isProcessGone(process);
}
