/**
 * The JSON Schemas (draft-07) of every `/api` response, served at `/api/schema` and documented
 * in docs/dashboard.md. Tests validate real responses against them; a field added to the API
 * without its schema fails there (`additionalProperties: false`).
 */

type Schema = Readonly<Record<string, unknown>>;

const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
const object = (properties: Record<string, Schema>): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});
const STRING: Schema = { type: 'string' };
const TIME: Schema = { type: 'string', format: 'date-time' };
const COUNT: Schema = { type: 'integer', minimum: 0 };
const BOOLEAN: Schema = { type: 'boolean' };

const EXECUTION = object({
  executionId: STRING,
  host: STRING,
  serviceIdentifier: nullable(STRING),
  startedAt: TIME,
  finishedAt: TIME,
  durationMs: { type: 'number', minimum: 0 },
  outcome: { enum: ['succeeded', 'failed', 'rolled-back'] },
  entries: COUNT,
  executed: COUNT,
  failed: COUNT,
  rolledBack: COUNT,
});

const LOCK = object({
  owner: STRING,
  hostname: STRING,
  acquiredAt: nullable(TIME),
  expiresAt: nullable(TIME),
  expired: BOOLEAN,
  heldForMs: nullable({ type: 'number', minimum: 0 }),
  inProgress: nullable(object({ changeId: STRING, author: STRING, executionId: STRING, startedAt: TIME, hostname: STRING })),
});

const SUMMARY = object({
  name: STRING,
  driver: STRING,
  state: { enum: ['up-to-date', 'pending', 'failed', 'locked', 'error'] },
  counts: object({ total: COUNT, executed: COUNT, pending: COUNT, failed: COUNT, rolledBack: COUNT, changed: COUNT }),
  locked: BOOLEAN,
  lastRun: nullable(EXECUTION),
  error: nullable(STRING),
});

const UNIT = object({
  changeId: STRING,
  author: STRING,
  order: STRING,
  state: { enum: ['executed', 'pending', 'failed', 'rolled-back'] },
  changed: BOOLEAN,
  runAlways: BOOLEAN,
  systemVersion: STRING,
  profiles: { type: 'array', items: STRING },
  executedAt: nullable(TIME),
  executionMillis: nullable({ type: 'number' }),
  executionHostname: nullable(STRING),
  checksum: STRING,
  recordedChecksum: nullable(STRING),
  manual: nullable(object({ resolution: { enum: ['applied', 'rolled-back'] }, by: STRING, reason: nullable(STRING), previousState: STRING, at: TIME })),
  lastError: nullable(object({ state: { enum: ['FAILED', 'ROLLBACK_FAILED', 'ROLLED_BACK'] }, at: TIME, executionId: STRING, trace: nullable(STRING) })),
  batch: nullable(
    object({
      direction: { enum: ['execute', 'rollback'] },
      inProgress: BOOLEAN,
      batches: COUNT,
      processed: COUNT,
      estimatedTotal: nullable(COUNT),
      lastKey: nullable(STRING),
      executionId: STRING,
      startedAt: TIME,
      updatedAt: TIME,
    }),
  ),
});

const DURATION = object({ changeId: STRING, author: STRING, executionId: STRING, at: TIME, durationMs: { type: 'number', minimum: 0 } });

/** Response schemas by name; each endpoint in docs/dashboard.md names the one it returns. */
export const API_SCHEMAS = Object.freeze({
  /** `GET /api/overview` */
  overview: object({
    generatedAt: TIME,
    refreshMs: { type: 'integer', minimum: 1 },
    actions: object({ unlock: BOOLEAN, mark: BOOLEAN }),
    databases: { type: 'array', items: SUMMARY },
  }),
  /** `GET /api/databases/{name}` */
  database: object({
    generatedAt: TIME,
    summary: SUMMARY,
    units: { type: 'array', items: UNIT },
    executions: { type: 'array', items: EXECUTION },
    durations: { type: 'array', items: DURATION },
    lock: nullable(LOCK),
  }),
  /** `GET /api/databases/{name}/lock` */
  lock: object({ generatedAt: TIME, database: STRING, lock: nullable(LOCK) }),
  /** `POST /api/databases/{name}/unlock` */
  unlock: object({ database: STRING, released: BOOLEAN, holder: nullable(LOCK) }),
  /** `POST /api/databases/{name}/mark` */
  mark: object({
    database: STRING,
    executionId: STRING,
    resolution: { enum: ['applied', 'rolled-back'] },
    by: STRING,
    reason: nullable(STRING),
    at: nullable(TIME),
    marked: {
      type: 'array',
      items: object({ changeId: STRING, author: STRING, type: STRING, previousState: STRING, state: { enum: ['EXECUTED', 'ROLLED_BACK'] } }),
    },
    unchanged: { type: 'array', items: object({ changeId: STRING, author: STRING, why: STRING }) },
  }),
  /** Any error (4xx, 5xx). */
  error: object({ error: object({ code: STRING, message: STRING }) }),
});

/** The name of one JSON API document the dashboard serves (see {@link API_SCHEMAS}). */
export type ApiSchemaName = keyof typeof API_SCHEMAS;
