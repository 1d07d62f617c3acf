import { createRequire } from 'node:module';
import type { MongockEventName, MongockListener } from './events.ts';
import type { ItemResult } from './migration-result.ts';

/** The few parts of `@opentelemetry/api` used here, so that the package is needed only when present. */
interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): unknown;
  end(): void;
}

interface OtelApi {
  readonly trace: {
    getTracer(name: string, version?: string): { startSpan(name: string, options?: object, context?: unknown): OtelSpan };
    setSpan(context: unknown, span: OtelSpan): unknown;
  };
  readonly context: { active(): unknown };
  readonly SpanStatusCode: { readonly OK: number; readonly ERROR: number };
}

/** What a runner offers to be traced: its typed events. */
export interface TraceableRunner {
  on<E extends MongockEventName>(event: E, listener: MongockListener<E>): () => void;
}

export const TRACER_NAME = 'mongock';
export const MIGRATION_SPAN = 'mongock.migration';
export const UNIT_SPAN = 'mongock.change_unit';

let api: OtelApi | null | undefined;

/** Where `@opentelemetry/api` 1.x keeps what an application registered (its `registerGlobal`). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * `@opentelemetry/api` when the application has registered a tracer provider through it, else
 * null (tracing is then a no-op). Loading the package costs ~50 ms at start-up, so it is loaded
 * only once a provider is registered: without one, its tracer would make non-recording spans.
 */
function openTelemetry(): OtelApi | null {
  if (api !== undefined) return api;
  const registered = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_GLOBAL];
  if (registered?.trace === undefined) return null;
  try {
    api = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch {
    api = null;
  }
  return api;
}

/**
 * Emits OpenTelemetry spans for a runner's migrations (`mongock.migration`) and each change item
 * they run (`mongock.change_unit`, a child of the migration span), through the tracer provider the
 * application registered, looked up when a migration starts. Without a registered provider (or
 * without `@opentelemetry/api` installed), nothing is traced. Spans are driven by the runner's
 * events, so the core never depends on the tracing library.
 */
export function traceRunner(runner: TraceableRunner): void {
  let migration: { otel: OtelApi; span: OtelSpan; context: unknown } | undefined;
  const units = new Map<string, OtelSpan>();
  runner.on('migration-started', ({ executionId }) => {
    const otel = openTelemetry();
    if (otel === null) return;
    const span = otel.trace.getTracer(TRACER_NAME).startSpan(MIGRATION_SPAN, { attributes: { 'mongock.execution_id': executionId } });
    migration = { otel, span, context: otel.trace.setSpan(otel.context.active(), span) };
  });
  runner.on('unit-started', ({ changeId, author }) => {
    if (migration === undefined) return;
    const attributes = { 'mongock.change_id': changeId, 'mongock.author': author };
    units.set(unitKey(changeId, author), migration.otel.trace.getTracer(TRACER_NAME).startSpan(UNIT_SPAN, { attributes }, migration.context));
  });
  runner.on('unit-finished', ({ item }) => {
    const key = unitKey(item.changeId, item.author);
    const span = units.get(key);
    if (span === undefined || migration === undefined) return;
    units.delete(key);
    endUnitSpan(migration.otel, span, item);
  });
  runner.on('migration-succeeded', ({ result }) => {
    if (migration === undefined) return;
    const { otel, span } = migration;
    span.setAttribute('mongock.status', result.status);
    span.setAttribute('mongock.executed', result.executed);
    span.setAttribute('mongock.failed', result.failed);
    span.setStatus({ code: otel.SpanStatusCode.OK });
    span.end();
    migration = undefined;
  });
  runner.on('migration-failed', ({ error }) => {
    if (migration === undefined) return;
    const { otel, span } = migration;
    span.setAttribute('mongock.error_code', error.code);
    span.recordException(error);
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error.message });
    span.end();
    migration = undefined;
    for (const open of units.values()) open.end();
    units.clear();
  });
}

function endUnitSpan(otel: OtelApi, span: OtelSpan, item: ItemResult): void {
  span.setAttribute('mongock.type', item.type);
  span.setAttribute('mongock.outcome', item.outcome);
  span.setAttribute('mongock.duration_ms', item.durationMs);
  const failed = item.outcome === 'failed' || item.outcome === 'rollback-failed' || item.outcome === 'rolled-back';
  if (failed) {
    if (item.error instanceof Error) span.recordException(item.error);
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: item.error instanceof Error ? item.error.message : item.outcome });
  } else {
    span.setStatus({ code: otel.SpanStatusCode.OK });
  }
  span.end();
}

function unitKey(changeId: string, author: string): string {
  return `${author}\u0000${changeId}`;
}
