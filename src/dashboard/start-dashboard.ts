import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { MongockError } from '../errors/mongock-error.ts';
import { LOOPBACK_HOST_NAMES } from './access-control.ts';
import { createDashboardHandler, type DashboardHandler, type DashboardSource } from './dashboard-handler.ts';
import type { DashboardOptions } from './dashboard-options.ts';

/** Where `mongock dashboard` listens unless told otherwise: loopback only. */
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';
/** The port `startDashboard()` and `mongock dashboard` listen on by default. */
export const DEFAULT_DASHBOARD_PORT = 4477;

/** What `startDashboard()` takes: the handler's options plus where to listen. */
export interface StartDashboardOptions extends DashboardOptions {
  /** Default {@link DEFAULT_DASHBOARD_HOST}. Any other than loopback needs `token`. */
  readonly host?: string;
  /** Default {@link DEFAULT_DASHBOARD_PORT}; 0 picks a free port. */
  readonly port?: number;
}

/** A dashboard that listens: its address, its handler, and `close()` to stop it. */
export interface RunningDashboard {
  /** The page's address, e.g. `http://127.0.0.1:4477/` (without the token). */
  readonly url: string;
  readonly port: number;
  readonly handler: DashboardHandler;
  close(): Promise<void>;
}

/**
 * Whether `host` only accepts connections from this machine.
 *
 * @example Refusing to serve the dashboard on a public interface without a token.
 * ```ts
 * import { isLoopbackHost } from 'mongock/dashboard';
 *
 * const host = process.env.DASHBOARD_HOST ?? '127.0.0.1';
 * if (!isLoopbackHost(host) && process.env.DASHBOARD_TOKEN === undefined) throw new Error(`set DASHBOARD_TOKEN to serve on ${host}`);
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * Serves the dashboard on its own HTTP server (what `mongock dashboard` runs). A bind beyond
 * loopback without a token is refused before anything listens: the page would show the
 * migration history of production to anyone on the network.
 *
 * @example
 * ```ts
 * import { startDashboard } from 'mongock/dashboard';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const dashboard = await startDashboard({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
 * console.log(dashboard.url); // http://127.0.0.1:4477/
 * await dashboard.close();
 * ```
 */
export async function startDashboard(source: DashboardSource, options: StartDashboardOptions = {}): Promise<RunningDashboard> {
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  const port = options.port ?? DEFAULT_DASHBOARD_PORT;
  const loopback = isLoopbackHost(host);
  if (!loopback && (options.token === undefined || options.token === '')) {
    throw new MongockError(
      'INVALID_CONFIG',
      `Refusing to serve the dashboard on ${host}, beyond this machine, without a token. Pass --token <token> (or set MONGOCK_DASHBOARD_TOKEN), or bind to 127.0.0.1.`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new MongockError('INVALID_CONFIG', `Dashboard port must be an integer from 0 to 65535; got ${String(port)}.`);
  const handler = createDashboardHandler(source, { ...options, allowedHosts: options.allowedHosts ?? (loopback ? LOOPBACK_HOST_NAMES : undefined) });
  const server = createServer(handler);
  await listen(server, host, port);
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}${handler.options.path}/`,
    port: actualPort,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new MongockError('INVALID_CONFIG', `The dashboard cannot listen on ${host}:${port}: ${error.code ?? error.message}.`, { cause: error })),
    );
    server.listen(port, host, () => resolve());
  });
}
