import { MongockError } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
import { silentLogger } from '../log/logger.ts';
import { redact } from '../runtime/redact.ts';

/** How often the page refreshes the lock panel, by default. */
export const DEFAULT_REFRESH_MS = 2_000;
/** How long one round of reads serves every request (page, API, metrics), by default. */
export const DEFAULT_CACHE_MS = 1_000;
/** Tokens shorter than this are refused: a token guards a page reachable from the network. */
export const MIN_TOKEN_LENGTH = 16;

/** Options of {@link createDashboardHandler}; every one optional. */
export interface DashboardOptions {
  /** Where the handler is mounted (`/mongock`); requests may arrive with or without it. Default `/`. */
  readonly path?: string;
  /** When set, every request needs it (`Authorization: Bearer`, or the page opened once with `?token=`). */
  readonly token?: string;
  /** Enables the actions: unlock (`POST /api/databases/{name}/unlock`) and mark (`.../mark`). Needs `token`. Default false. */
  readonly allowActions?: boolean;
  /** How often the page polls the lock. Default {@link DEFAULT_REFRESH_MS}. */
  readonly refreshMs?: number;
  /** How long one round of database reads is reused. Default {@link DEFAULT_CACHE_MS}. */
  readonly cacheMs?: number;
  /** `Host` names accepted (any port); default any. `startDashboard` on loopback sets the loopback names. */
  readonly allowedHosts?: readonly string[];
  /** Where actions and failed reads are logged. Default silent. */
  readonly logger?: Logger;
  /** Applied to every text the dashboard sends or logs; the default hides URL credentials and `password=` values. */
  readonly redact?: (text: string) => string;
  /** The name of the database when the handler is given one config. Default the driver's name. */
  readonly name?: string;
}

/** {@link DashboardOptions} with every default filled in, as the handler uses them. */
export interface ResolvedDashboardOptions {
  readonly path: string;
  readonly token: string | undefined;
  readonly allowActions: boolean;
  readonly refreshMs: number;
  readonly cacheMs: number;
  readonly allowedHosts: readonly string[] | undefined;
  readonly logger: Logger;
  readonly redact: (text: string) => string;
  readonly name: string | undefined;
}

/** Validates and freezes the options; throws `INVALID_CONFIG` naming the bad one. */
export function resolveDashboardOptions(options: DashboardOptions = {}): ResolvedDashboardOptions {
  const path = normalisePath(options.path ?? '/');
  const token = options.token === undefined || options.token === '' ? undefined : options.token;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new MongockError(
      'INVALID_CONFIG',
      `The dashboard token is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex 24\`).`,
    );
  }
  const allowActions = options.allowActions === true;
  if (allowActions && token === undefined) {
    throw new MongockError('INVALID_CONFIG', 'Dashboard actions (allowActions / --allow-actions) need a token (token / --token / MONGOCK_DASHBOARD_TOKEN).');
  }
  return Object.freeze({
    path,
    token,
    allowActions,
    refreshMs: positiveInteger('refreshMs', options.refreshMs ?? DEFAULT_REFRESH_MS),
    cacheMs: positiveInteger('cacheMs', options.cacheMs ?? DEFAULT_CACHE_MS, 0),
    allowedHosts: options.allowedHosts === undefined ? undefined : Object.freeze(options.allowedHosts.map((host) => host.toLowerCase())),
    logger: options.logger ?? silentLogger,
    redact: options.redact ?? ((text: string) => redact(text)),
    name: options.name,
  });
}

function normalisePath(path: string): string {
  if (!path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new MongockError('INVALID_CONFIG', `Dashboard path '${path}' must start with '/' and hold no '?', '#' or spaces (e.g. '/mongock').`);
  }
  return path.replace(/\/+$/, '');
}

function positiveInteger(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min)
    throw new MongockError('INVALID_CONFIG', `Dashboard option '${name}' must be an integer >= ${min}; got ${String(value)}.`);
  return value;
}
