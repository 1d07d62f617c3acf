import { MongockError } from '../../errors/mongock-error.ts';
import type { InProgressChange, LockAttempt, LockHolder, LockLease, LockPrimitive, LockRequest } from '../driver.ts';
import type { SqliteDatabase } from './sqlite-client.ts';
import { LOCK_KEY, NOW_MS, quoteIdentifier } from './sqlite-sql.ts';

interface LockRow {
  owner: string | null;
  hostname: string | null;
  acquired_at: number | null;
  expires_at: number;
  lease_ms: number;
  fence: number;
  in_progress: string | null;
  now: number;
}

/**
 * A lease row in the lock table, written under SQLite's database write lock (`BEGIN
 * IMMEDIATE`), so that processes sharing the file take turns. Expiry is judged by SQLite's
 * clock; `fence` grows with every grant, and every commit of a change checks it (see
 * `SqliteConnection.runInScope`), so a holder whose lease was taken over cannot commit.
 * The row is kept on release (owner cleared) so that the fence never goes back.
 */
export class SqliteLock implements LockPrimitive {
  readonly #db: SqliteDatabase;
  readonly #table: string;

  readonly #beforeFirstWrite: () => void;
  #prepared = false;

  constructor(db: SqliteDatabase, tableName: string, beforeFirstWrite: () => void = () => {}) {
    this.#db = db;
    this.#table = quoteIdentifier(tableName);
    this.#beforeFirstWrite = beforeFirstWrite;
  }

  async tryAcquire(request: LockRequest): Promise<LockAttempt> {
    if (!this.#prepared) {
      this.#beforeFirstWrite();
      this.#prepared = true;
    }
    try {
      return this.#immediate(() => {
        this.#create();
        const row = this.#read();
        if (row !== undefined && row.owner !== null && row.expires_at > row.now) return { acquired: false, holder: toHolder(row) };
        const fence = (row?.fence ?? 0) + 1;
        this.#db
          .prepare(`INSERT INTO ${this.#table} (key, owner, hostname, acquired_at, expires_at, lease_ms, fence, in_progress)
            VALUES (?, ?, ?, ${NOW_MS}, ${NOW_MS} + ?, ?, ?, NULL)
            ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, hostname = excluded.hostname, acquired_at = excluded.acquired_at,
              expires_at = excluded.expires_at, lease_ms = excluded.lease_ms, fence = excluded.fence, in_progress = ${this.#table}.in_progress`)
          .run(LOCK_KEY, request.owner, request.hostname, request.leaseMs, request.leaseMs, fence);
        return { acquired: true, lease: { owner: request.owner, fence }, interrupted: parseInProgress(row?.in_progress ?? null) };
      });
    } catch (error) {
      // Another process is writing (it holds SQLite's write lock past busy_timeout): it is busy, not broken.
      if (isBusy(error)) return { acquired: false, holder: null };
      throw error;
    }
  }

  async renew(lease: LockLease, leaseMs: number): Promise<boolean> {
    if (this.#db.inTransaction) {
      // A change's transaction is open on this connection and holds the write lock, so nobody can
      // take the lease meanwhile; the commit's fence check renews it.
      return this.owns(lease);
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
    if (result.changes !== 1) throw lost(lease);
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
    return toHolder(row);
  }

  async forceRelease(): Promise<boolean> {
    try {
      const result = this.#db
        .prepare(
          `UPDATE ${this.#table} SET owner = NULL, hostname = NULL, acquired_at = NULL, expires_at = 0, in_progress = NULL WHERE key = ? AND (owner IS NOT NULL OR in_progress IS NOT NULL)`,
        )
        .run(LOCK_KEY);
      return result.changes === 1;
    } catch (error) {
      if (error instanceof Error && /no such table/i.test(error.message)) return false;
      throw error;
    }
  }

  /**
   * The fencing write made inside every change's transaction, just before COMMIT: succeeds only
   * if the lease is still ours (same owner and fence), and renews it. Returns false otherwise.
   */
  fenceAndRenew(lease: LockLease): boolean {
    const result = this.#db
      .prepare(`UPDATE ${this.#table} SET expires_at = ${NOW_MS} + lease_ms WHERE key = ? AND owner = ? AND fence = ?`)
      .run(LOCK_KEY, lease.owner, lease.fence);
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
      in_progress TEXT
    )`);
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

export function lost(lease: LockLease): MongockError {
  return new MongockError('LOCK_LOST', `Lock lost: owner ${lease.owner} (fence ${lease.fence}) no longer holds the SQLite lock; the write was refused.`);
}

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

function parseInProgress(value: string | null): InProgressChange | null {
  if (value === null) return null;
  const raw = JSON.parse(value) as InProgressChange & { startedAt: string };
  return { ...raw, startedAt: new Date(raw.startedAt) };
}

function toHolder(row: LockRow): LockHolder {
  return {
    owner: row.owner ?? '',
    hostname: row.hostname ?? '',
    acquiredAt: row.acquired_at === null ? null : new Date(row.acquired_at),
    expiresAt: row.owner === null ? null : new Date(row.expires_at),
    expired: row.owner === null || row.expires_at <= row.now,
    inProgress: parseInProgress(row.in_progress),
  };
}
