import { isMongockError } from '../errors/mongock-error.ts';
import type { Resolution } from '../history/manual-resolution.ts';
import { type MarkResult, markResultJson } from '../runner/mark-options.ts';
import { type Credential, isSameOrigin } from './access-control.ts';
import type { DashboardDatabase } from './dashboard-database.ts';
import { type DashboardContext, type DashboardRequest, messageOf, sendError, sendJson } from './dashboard-request.ts';
import { lockView } from './database-snapshot.ts';

/** The actions a dashboard may offer with `allowActions`, each the twin of a CLI command. */
export type DashboardAction = 'unlock' | 'mark';

/** A mark request's body is a few short strings; anything larger is refused unread. */
export const MAX_ACTION_BODY_BYTES = 16 * 1024;

const RESOLUTIONS: readonly Resolution[] = ['applied', 'rolled-back'];

/** `POST /api/databases/{name}/unlock`: `mongock unlock --force`. */
export async function unlockAction(context: DashboardContext, request: DashboardRequest, database: DashboardDatabase, credential: Credential): Promise<void> {
  if (!allowed(context, request, credential, 'unlock')) return;
  const result = await database.unlock();
  const holder = result.holder === null ? 'nobody' : `${result.holder.owner} on ${result.holder.hostname}`;
  logAction(
    context,
    request,
    credential,
    `unlock of '${database.name}'`,
    result.released ? `released the lock held by ${holder}` : `nothing released (held by ${holder})`,
  );
  sendJson(context, request.response, 200, { database: database.name, released: result.released, holder: lockView(result.holder, new Date()) });
}

/**
 * `POST /api/databases/{name}/mark` with `{ changeId, resolution, reason, author?, by? }`:
 * `mongock mark <id> --applied|--rolled-back --reason ...`. The entry it writes in the history
 * names who decided (`by`, else the dashboard and the caller's address) and why; a reason is
 * required, since nobody at a terminal can be asked afterwards. Never `--force`: a held lock
 * answers 409, and clearing it is the separate unlock action.
 */
export async function markAction(context: DashboardContext, request: DashboardRequest, database: DashboardDatabase, credential: Credential): Promise<void> {
  if (!allowed(context, request, credential, 'mark')) return;
  const { response } = request;
  const body = await readJsonBody(request);
  const problems = markBodyProblems(body);
  if (problems.length > 0) return sendError(context, response, 400, 'BAD_REQUEST', `Invalid mark request: ${problems.join(' ')}`);
  const input = body as MarkBody;
  const by = input.by === undefined ? `dashboard (${address(request)})` : `${input.by.trim()} (dashboard, ${address(request)})`;
  let result: MarkResult;
  try {
    result = await database.mark({ changeId: input.changeId, author: input.author, resolution: input.resolution, reason: input.reason.trim(), by });
  } catch (error) {
    if (isMongockError(error, 'INVALID_CONFIG')) return sendError(context, response, 400, 'INVALID_MARK', messageOf(error));
    if (isMongockError(error, 'LOCK_NOT_ACQUIRED')) return sendError(context, response, 409, 'LOCKED', messageOf(error));
    throw error;
  }
  const what = result.marked.map((item) => `'${item.changeId}' ${item.state} (was ${item.previousState})`).join(', ');
  logAction(
    context,
    request,
    credential,
    `mark of '${input.changeId}' in '${database.name}' as ${input.resolution}`,
    result.marked.length === 0 ? `nothing marked (${result.unchanged.map((item) => item.why).join('; ')})` : `${what}; reason: ${result.reason}`,
  );
  sendJson(context, response, 200, { database: database.name, ...markResultJson(result) });
}

interface MarkBody {
  readonly changeId: string;
  readonly resolution: Resolution;
  readonly reason: string;
  readonly author?: string;
  readonly by?: string;
}

function markBodyProblems(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['send a JSON object { changeId, resolution, reason }.'];
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string, required: boolean): void => {
    const value = record[key];
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || value.trim() === '') problems.push(`'${key}' must be a non-empty string.`);
  };
  text('changeId', true);
  text('reason', true);
  text('author', false);
  text('by', false);
  if (!RESOLUTIONS.includes(record.resolution as Resolution)) problems.push(`'resolution' must be ${RESOLUTIONS.map((r) => `'${r}'`).join(' or ')}.`);
  const unknown = Object.keys(record).filter((key) => !['changeId', 'reason', 'author', 'by', 'resolution'].includes(key));
  if (unknown.length > 0) problems.push(`Unknown field(s): ${unknown.join(', ')}.`);
  return problems;
}

/** POST only, actions enabled, from the page itself; otherwise answers the refusal and returns false. */
function allowed(context: DashboardContext, request: DashboardRequest, credential: Credential, action: DashboardAction): boolean {
  const { response } = request;
  if (request.method !== 'POST') {
    response.setHeader('Allow', 'POST');
    sendError(context, response, 405, 'METHOD_NOT_ALLOWED', `${action} is a POST.`);
    return false;
  }
  if (!context.options.allowActions) {
    sendError(context, response, 403, 'ACTIONS_DISABLED', `This dashboard is read-only; start it with --allow-actions (and a token) to ${action} from it.`);
    return false;
  }
  if (!isSameOrigin(request.raw, credential)) {
    sendError(context, response, 403, 'CROSS_ORIGIN', 'Actions are accepted only from the dashboard page itself (same origin).');
    return false;
  }
  return true;
}

function address(request: DashboardRequest): string {
  return request.raw.socket.remoteAddress ?? 'unknown address';
}

/** Every action is logged as a warning through the configured logger, as its CLI twin prints it. */
function logAction(context: DashboardContext, request: DashboardRequest, credential: Credential, what: string, outcome: string): void {
  context.options.logger.warn(context.options.redact(`Dashboard action: ${what} by ${address(request)} (${credential} token): ${outcome}.`));
}

/** The request's JSON body; a framework that parsed it already (Express' `json()`) leaves it on `body`. */
async function readJsonBody(request: DashboardRequest): Promise<unknown> {
  const { raw } = request;
  if (raw.body !== undefined && typeof raw.body === 'object') return raw.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > MAX_ACTION_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
