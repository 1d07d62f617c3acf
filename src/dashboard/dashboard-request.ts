import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessControl } from './access-control.ts';
import type { DashboardAssets } from './dashboard-assets.ts';
import type { DashboardDatabase } from './dashboard-database.ts';
import type { ResolvedDashboardOptions } from './dashboard-options.ts';

/** One request as the dashboard's routes see it. */
export interface DashboardRequest {
  readonly raw: IncomingMessage & { originalUrl?: string; body?: unknown };
  readonly response: ServerResponse;
  readonly method: string;
  /** The path below the mount point, `/` for the page. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Where the dashboard is mounted as the browser sees it, ending in `/`. */
  readonly base: string;
}

/** What every route shares: the options, the databases shown, the page's assets, the token check. */
export interface DashboardContext {
  readonly options: ResolvedDashboardOptions;
  readonly databases: readonly DashboardDatabase[];
  readonly assets: DashboardAssets;
  readonly access: AccessControl;
}

/** A JSON answer, redacted like every text the dashboard sends. */
export function sendJson(context: DashboardContext, response: ServerResponse, status: number, body: unknown): void {
  const text = context.options.redact(JSON.stringify(body));
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/** An error answer: `{ error: { code, message } }` (schema `error`). */
export function sendError(context: DashboardContext, response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(context, response, status, { error: { code, message } });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
