import { optionalPackage } from '../shared/optional-package.ts';

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
