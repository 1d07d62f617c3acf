/** What one reliability worker process does (test/reliability/processes/worker.ts). */
export interface UnitSpec {
  readonly id: string;
  /** false: runs outside a transaction (in-progress marker). Default: the driver's. */
  readonly transactional?: boolean;
  readonly rows?: number;
  /** Waits this long (an idle await) after half its rows. */
  readonly sleepMs?: number;
  /** Then waits (still inside its transaction) until this file exists: a test opens it once it has seen what it needs. */
  readonly untilFile?: string;
  /** After half its rows: prints MIDWAY and never settles. */
  readonly hang?: boolean;
  readonly timeoutMs?: number;
  /** A statement in the database's dialect, run after half its rows (e.g. one that sleeps). */
  readonly statement?: string;
}

export interface WorkerSpec {
  readonly driver: 'sqlite' | 'mongodb' | 'postgres' | 'mysql';
  /** SQLite file, MongoDB `uri|database`, PostgreSQL `url|schema`, MySQL uri. */
  readonly target: string;
  readonly action: 'migrate' | 'status' | 'unlock' | 'unlock-force';
  readonly units: readonly UnitSpec[];
  readonly lease?: number;
  readonly quit?: number;
  readonly executionTimeoutMs?: number;
  /**
   * MongoDB only: the named crash point `history-write`. Just before the history write of this
   * unit's EXECUTED entry (after the driver's fence check), print `AT history-write <id>` and
   * stop this process (SIGSTOP) until the test sends SIGCONT.
   */
  readonly pauseAtHistoryWrite?: string;
  /** Merged into the driver's options (e.g. `lockTimeoutMs`). */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
}
