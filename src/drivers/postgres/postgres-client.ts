import { MongockError } from '../../errors/mongock-error.ts';
import { optionalPackage } from '../shared/optional-package.ts';
import { sqlState } from './postgres-sql.ts';

/** What a query returns, as `pg` reports it (`rowCount` is null for commands without a count). */
export interface PostgresQueryResult<T> {
  readonly rows: T[];
  readonly rowCount: number | null;
  readonly command: string;
}

/**
 * The parts of a `pg` client the driver uses (typed structurally, as Kysely does, so that
 * `pg.Client`, `pg.PoolClient` and compatible clients all fit).
 */
export interface PostgresClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null; command: string }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'end', listener: () => void): unknown;
}

/** A client checked out of a `pg.Pool`. */
export interface PostgresPoolClient extends PostgresClient {
  release(destroy?: boolean | Error): void;
}

/** The parts of a `pg.Pool` the driver uses: one dedicated client per run. */
export interface PostgresPool {
  connect(): Promise<PostgresPoolClient>;
}

/** A `pg.Client` that Mongock opens and closes itself (the `connectionString` option). */
export interface PostgresStandaloneClient extends PostgresClient {
  connect(): Promise<void>;
  end(): Promise<void>;
}

/** The subset of `pg.ClientConfig` the driver sets. */
export interface PostgresClientConfig {
  readonly connectionString: string;
  readonly connectionTimeoutMillis?: number;
  readonly application_name?: string;
  /** Sent at connect time (no extra round trip); 0 or absent: the server's default. */
  readonly lock_timeout?: number;
  readonly statement_timeout?: number;
}

type ClientConstructor = new (config: PostgresClientConfig) => PostgresStandaloneClient;

/** Loads `pg` only when the PostgreSQL driver opens its own connection, with an install hint when missing. */
export const loadPgClient = optionalPackage<ClientConstructor>({
  specifier: 'pg',
  needs: "The PostgreSQL driver needs the 'pg' package",
  install: 'pg',
  pick: (module) => (module as { Client: ClientConstructor }).Client,
});

/** Where a connection string points, without credentials, for messages. */
export function describeTarget(connectionString: string | undefined): string {
  if (connectionString === undefined) return 'PostgreSQL';
  try {
    const url = new URL(connectionString);
    const database = url.pathname.replace(/^\//, '');
    return `PostgreSQL at ${url.hostname || 'localhost'}:${url.port || '5432'}${database === '' ? '' : `/${database}`}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** Turns a failure to connect into an error that says what to check. */
export function connectError(error: unknown, target: string): MongockError {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  let hint: string;
  if (code === 'ECONNREFUSED') hint = 'the connection was refused. Check that the server is running and that host and port are right.';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') hint = 'the host name does not resolve. Check the host in the connection string.';
  else if (code === 'ETIMEDOUT' || /timeout/i.test(message)) hint = 'the connection timed out. Check host, port and firewalls, or raise connectionTimeoutMs.';
  else if (code === '28P01' || code === '28000')
    hint = `the server refused the credentials (${message}). Check the user name and password in the connection string.`;
  else if (code === '3D000') hint = `${message}. Create the database or fix its name in the connection string.`;
  else hint = `${message}.`;
  return new MongockError('DRIVER_ERROR', `Cannot connect to ${target}: ${hint}`, { cause: error });
}

/**
 * A statement the server cancelled because of the session's `lock_timeout` or
 * `statement_timeout` (set by postgresDriver's `lockTimeoutMs` / `statementTimeoutMs`) as a
 * `STATEMENT_TIMEOUT` that says which and what to do; undefined for any other error.
 */
export function timeoutError(error: unknown): MongockError | undefined {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === '55P03' && /lock timeout/i.test(message)) {
    return new MongockError(
      'STATEMENT_TIMEOUT',
      `PostgreSQL cancelled a statement that waited too long for a lock (${message}; lock_timeout, postgresDriver's lockTimeoutMs). ` +
        'Another session holds a lock it needs (a long or idle-in-transaction session: see pg_stat_activity and pg_locks): end that session, or raise lockTimeoutMs.',
      { cause: error },
    );
  }
  if (code === '57014' && /statement timeout/i.test(message)) {
    return new MongockError(
      'STATEMENT_TIMEOUT',
      `PostgreSQL cancelled a statement that ran too long (${message}; statement_timeout, postgresDriver's statementTimeoutMs). Make the statement faster (an index, smaller batches), or raise statementTimeoutMs (0: no limit).`,
      { cause: error },
    );
  }
  return undefined;
}
