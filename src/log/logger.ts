/** Where Mongock writes what it does. Any object with these four methods fits (pino, winston, Nest's Logger...). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The least severe level a logger writes; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * A logger that writes `[mongock] message` lines to the console at or above `level`.
 *
 * @example
 * ```ts
 * import { consoleLogger, createRunner } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * createRunner({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations', logger: consoleLogger('warn') });
 * ```
 */
export function consoleLogger(level: LogLevel = 'info'): Logger {
  const on = (at: LogLevel) => RANK[at] >= RANK[level];
  return Object.freeze({
    debug: (message: string) => on('debug') && console.debug(`[mongock] ${message}`),
    info: (message: string) => on('info') && console.info(`[mongock] ${message}`),
    warn: (message: string) => on('warn') && console.warn(`[mongock] WARN ${message}`),
    error: (message: string) => on('error') && console.error(`[mongock] ERROR ${message}`),
  });
}

/** A logger that drops everything. */
export const silentLogger: Logger = consoleLogger('silent');
