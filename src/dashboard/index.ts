/**
 * `mongock/dashboard`: a read-only web view of every database's history, lock and pending work,
 * its JSON API (`/api`) and Prometheus metrics (`/metrics`), as a plain Node request handler or
 * a server of its own. See docs/dashboard.md.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { defineConfig } from 'mongock';
 * import { createDashboardHandler } from 'mongock/dashboard';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const config = defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
 * // With Express: express().use('/mongock', createDashboardHandler(config, { path: '/mongock' })).
 * createServer(createDashboardHandler(config, { path: '/mongock' })).listen(8080, '127.0.0.1');
 * ```
 */

export { type AccessDecision, type Credential, TOKEN_COOKIE } from './access-control.ts';
export { API_SCHEMAS, type ApiSchemaName } from './api-schema.ts';
export type { DashboardTarget } from './dashboard-database.ts';
export { createDashboardHandler, type DashboardHandler, type DashboardSource } from './dashboard-handler.ts';
export { type DashboardOptions, DEFAULT_CACHE_MS, DEFAULT_REFRESH_MS, MIN_TOKEN_LENGTH, type ResolvedDashboardOptions } from './dashboard-options.ts';
export type {
  DatabaseSnapshot,
  DatabaseState,
  DatabaseSummary,
  DurationPoint,
  LockView,
  UnitCounts,
  UnitError,
  UnitView,
} from './database-snapshot.ts';
export type { ExecutionOutcome, ExecutionView } from './group-executions.ts';
export { METRICS_CONTENT_TYPE } from './prometheus-metrics.ts';
export { CONTENT_SECURITY_POLICY } from './security-headers.ts';
export {
  DEFAULT_DASHBOARD_HOST,
  DEFAULT_DASHBOARD_PORT,
  isLoopbackHost,
  type RunningDashboard,
  type StartDashboardOptions,
  startDashboard,
} from './start-dashboard.ts';
