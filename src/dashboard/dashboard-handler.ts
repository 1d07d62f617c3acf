import type { IncomingMessage, ServerResponse } from 'node:http';
import { MongockError } from '../errors/mongock-error.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';
import { AccessControl, type Credential, isAllowedHost, TOKEN_COOKIE } from './access-control.ts';
import { API_SCHEMAS } from './api-schema.ts';
import { markAction, unlockAction } from './dashboard-actions.ts';
import { type Asset, DashboardAssets } from './dashboard-assets.ts';
import { DashboardDatabase, type DashboardTarget } from './dashboard-database.ts';
import { type DashboardOptions, type ResolvedDashboardOptions, resolveDashboardOptions } from './dashboard-options.ts';
import { type DashboardContext, type DashboardRequest, messageOf, sendError, sendJson } from './dashboard-request.ts';
import { type DatabaseSummary, errorSummary } from './database-snapshot.ts';
import { METRICS_CONTENT_TYPE, type MetricsInput, renderMetrics } from './prometheus-metrics.ts';
import { setSecurityHeaders } from './security-headers.ts';

/** One configuration (one database), or several named ones (tenants, environments). */
export type DashboardSource = MongockConfig | { readonly databases: readonly DashboardTarget[] };

/** A plain Node request handler; `next`, when given (Express, Connect), is never called: every path under the mount is the dashboard's. */
export interface DashboardHandler {
  (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void): void;
  readonly options: ResolvedDashboardOptions;
  /** The names of the databases shown, in order. */
  readonly databases: readonly string[];
}

/**
 * The dashboard as a request handler: mount it in `http.createServer`, Express (`app.use('/mongock',
 * handler)`), Fastify (through `@fastify/middie`) or the NestJS module. It reads the databases of
 * the given configuration(s) and never writes to them, except for the unlock and mark actions
 * when `allowActions` is set.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import type { MongockConfig } from 'mongock';
 * import { createDashboardHandler } from 'mongock/dashboard';
 *
 * declare const config: MongockConfig; // what your mongock.config.ts exports
 * createServer(createDashboardHandler(config, { token: process.env.MONGOCK_DASHBOARD_TOKEN })).listen(8080, '127.0.0.1');
 * ```
 */
export function createDashboardHandler(source: DashboardSource, options: DashboardOptions = {}): DashboardHandler {
  const resolved = resolveDashboardOptions(options);
  const targets = targetsOf(source, resolved.name);
  const context: DashboardContext = {
    options: resolved,
    databases: targets.map((target) => new DashboardDatabase(target, resolved.cacheMs)),
    assets: new DashboardAssets(),
    access: new AccessControl(resolved.token),
  };
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    setSecurityHeaders(response);
    route(context, parseRequest(request, response, resolved.path)).catch((error: unknown) => {
      resolved.logger.error(`Dashboard request ${request.method} ${request.url} failed: ${resolved.redact(messageOf(error))}`);
      if (!response.headersSent) sendError(context, response, 500, 'INTERNAL', 'The dashboard failed to answer; see its logs.');
      else response.end();
    });
  };
  return Object.assign(handler, { options: resolved, databases: Object.freeze(targets.map((target) => target.name)) });
}

function targetsOf(source: DashboardSource, name: string | undefined): DashboardTarget[] {
  if ('databases' in source && Array.isArray(source.databases)) {
    const names = new Set<string>();
    for (const target of source.databases) {
      if (typeof target.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(target.name) || names.has(target.name)) {
        throw new MongockError(
          'INVALID_CONFIG',
          `Dashboard database name '${String(target.name)}' must be unique and made of letters, digits, '.', '_' or '-'.`,
        );
      }
      names.add(target.name);
    }
    return [...source.databases];
  }
  const config = source as MongockConfig;
  return [{ name: name ?? config.driver?.name ?? 'default', config }];
}

function parseRequest(raw: IncomingMessage & { originalUrl?: string }, response: ServerResponse, mount: string): DashboardRequest {
  const url = new URL(raw.url ?? '/', 'http://dashboard.invalid');
  let path = url.pathname;
  let prefix: string;
  if (mount !== '' && (path === mount || path.startsWith(`${mount}/`))) {
    path = path.slice(mount.length) || '/';
    prefix = mount;
  } else {
    // Express and middie strip the mount point from `url` and keep the full one in `originalUrl`.
    const original = new URL(raw.originalUrl ?? raw.url ?? '/', 'http://dashboard.invalid').pathname;
    if (path === '/') prefix = original;
    else prefix = original.endsWith(path) ? original.slice(0, original.length - path.length) : '';
  }
  return { raw, response, method: raw.method ?? 'GET', path, query: url.searchParams, base: `${prefix.replace(/\/+$/, '')}/` };
}

async function route(context: DashboardContext, request: DashboardRequest): Promise<void> {
  const { options, access } = context;
  if (!isAllowedHost(request.raw, options.allowedHosts))
    return sendError(context, request.response, 403, 'FORBIDDEN_HOST', 'This Host header is not accepted.');
  if (request.path.startsWith('/assets/')) return onlyGet(context, request, async () => serveAsset(context, request));
  const decision = access.check(request.raw, request.path === '/' ? request.query.get('token') : null);
  if (!decision.allowed) return unauthorized(context, request);
  if (request.path === '/') return onlyGet(context, request, async () => servePage(context, request, decision.credential));
  if (request.path === '/metrics') return onlyGet(context, request, () => serveMetrics(context, request));
  if (request.path === '/api/overview') return onlyGet(context, request, () => serveOverview(context, request));
  if (request.path === '/api/schema') return onlyGet(context, request, async () => sendJson(context, request.response, 200, API_SCHEMAS));
  const match = /^\/api\/databases\/([^/]+)(\/lock|\/unlock|\/mark)?$/.exec(request.path);
  const database = match === null ? undefined : context.databases.find((db) => db.name === decodeURIComponent(match[1]!));
  if (match === null || database === undefined) return sendError(context, request.response, 404, 'NOT_FOUND', `Nothing at ${request.path}.`);
  if (match[2] === '/unlock') return unlockAction(context, request, database, decision.credential);
  if (match[2] === '/mark') return markAction(context, request, database, decision.credential);
  if (match[2] === '/lock') return onlyGet(context, request, () => serveLock(context, request, database));
  return onlyGet(context, request, () => serveDatabase(context, request, database));
}

async function onlyGet(context: DashboardContext, request: DashboardRequest, serve: () => Promise<void>): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD') return serve();
  request.response.setHeader('Allow', 'GET, HEAD');
  return sendError(context, request.response, 405, 'METHOD_NOT_ALLOWED', `${request.method} is not accepted here; the dashboard is read-only.`);
}

function unauthorized(context: DashboardContext, request: DashboardRequest): void {
  const { response } = request;
  response.setHeader('WWW-Authenticate', 'Bearer realm="mongock-dashboard"');
  if (request.path === '/') {
    response.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end('This Mongock dashboard needs its token: open it once as <url>?token=<token>, or send "Authorization: Bearer <token>".\n');
    return;
  }
  sendError(context, response, 401, 'UNAUTHORIZED', 'A valid token is required: send "Authorization: Bearer <token>".');
}

function servePage(context: DashboardContext, request: DashboardRequest, credential: Credential): void {
  const { response } = request;
  if (credential === 'query') {
    // The token leaves the address bar (and the history) at once; the cookie carries on.
    response.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${context.access.cookieValue()}; Path=${request.base}; HttpOnly; SameSite=Strict`);
    response.writeHead(303, { Location: request.base, 'Cache-Control': 'no-store' });
    response.end();
    return;
  }
  sendAsset(request, context.assets.page(request.base), 'no-store');
}

function serveAsset(context: DashboardContext, request: DashboardRequest): void {
  const found = context.assets.get(request.path.slice('/assets/'.length));
  if (found === undefined) sendError(context, request.response, 404, 'NOT_FOUND', `No asset ${request.path}.`);
  else sendAsset(request, found, 'no-cache');
}

function sendAsset(request: DashboardRequest, asset: Asset, cacheControl: string): void {
  const { response, raw } = request;
  const headers: Record<string, string> = { 'Content-Type': asset.contentType, 'Cache-Control': cacheControl, ETag: asset.etag, Vary: 'Accept-Encoding' };
  if (raw.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(raw.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzipped : asset.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  response.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

async function summaries(context: DashboardContext): Promise<Array<{ summary: DatabaseSummary; input: MetricsInput }>> {
  return Promise.all(
    context.databases.map(async (database) => {
      try {
        const snapshot = await database.snapshot();
        return { summary: snapshot.summary, input: { snapshot } };
      } catch (error) {
        const message = context.options.redact(messageOf(error));
        context.options.logger.warn(`Dashboard: cannot read database '${database.name}': ${message}`);
        const summary = errorSummary(database.name, database.driver, message);
        return { summary, input: { summary } };
      }
    }),
  );
}

async function serveOverview(context: DashboardContext, request: DashboardRequest): Promise<void> {
  const read = await summaries(context);
  sendJson(context, request.response, 200, {
    generatedAt: new Date().toISOString(),
    refreshMs: context.options.refreshMs,
    actions: { unlock: context.options.allowActions, mark: context.options.allowActions },
    databases: read.map((item) => item.summary),
  });
}

async function serveMetrics(context: DashboardContext, request: DashboardRequest): Promise<void> {
  const read = await summaries(context);
  const body = context.options.redact(renderMetrics(read.map((item) => item.input)));
  request.response.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
  request.response.end(request.method === 'HEAD' ? undefined : body);
}

async function serveDatabase(context: DashboardContext, request: DashboardRequest, database: DashboardDatabase): Promise<void> {
  try {
    const snapshot = await database.snapshot();
    sendJson(context, request.response, 200, { generatedAt: new Date().toISOString(), ...snapshot });
  } catch (error) {
    sendError(context, request.response, 502, 'DATABASE_UNREACHABLE', `Cannot read database '${database.name}': ${messageOf(error)}`);
  }
}

async function serveLock(context: DashboardContext, request: DashboardRequest, database: DashboardDatabase): Promise<void> {
  try {
    sendJson(context, request.response, 200, { generatedAt: new Date().toISOString(), database: database.name, lock: await database.lock() });
  } catch (error) {
    sendError(context, request.response, 502, 'DATABASE_UNREACHABLE', `Cannot read the lock of database '${database.name}': ${messageOf(error)}`);
  }
}
