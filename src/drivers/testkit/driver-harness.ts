import type { Driver, DriverContext } from '../driver.ts';

/**
 * What a driver's test suite provides so that the shared conformance suite can run against its
 * real server. Side-effects are "markers": rows/documents named by the unit that wrote them,
 * counted straight from the database, so exactly-once is judged by effects, not by history.
 */
export interface DriverHarness<TContext extends object> {
  readonly name: string;
  /** A fresh, empty database (or schema) for one test. */
  setup(): Promise<DriverFixture<TContext>>;
}

/**
 * One test's database, made by a {@link DriverHarness}: drivers over it, markers written through a
 * change context and read back directly, and its teardown.
 */
export interface DriverFixture<TContext extends object> {
  /** A new driver on the fixture's database; each call is independent (as another process would be). */
  driver(): Driver<TContext>;
  /** Writes one marker named `name` through the change unit's context (inside its transaction if any). */
  insertMarker(context: DriverContext<TContext>, name: string): Promise<void>;
  /** Deletes the markers named `name` through the context (used by rollback methods). */
  deleteMarkers(context: DriverContext<TContext>, name: string): Promise<void>;
  /** Counts the markers named `name`, read directly from the database. */
  countMarkers(name: string): Promise<number>;
  /**
   * Drivers with a session lock (`capabilities.lease: false`): ends, from outside, the server
   * session that holds Mongock's lock, as a crash or a network cut would (PostgreSQL
   * `pg_terminate_backend`, MySQL `KILL`), and resolves once the server has let it go. Leave it
   * out and the scenarios that need it are skipped, saying so.
   */
  severLockSession?(): Promise<void>;
  /**
   * Lets `ms` pass on the clock that judges lease expiry. A real server's clock cannot be moved:
   * leave it out and the suite waits for real (`letTimePass` in `testkit-suite.ts`). The in-memory driver moves
   * its own clock, so that its lease scenarios take no time.
   */
  passTime?(ms: number): Promise<void>;
  teardown(): Promise<void>;
}
