import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRunner } from '../../src/index.ts';
import { MIGRATION_SPAN, UNIT_SPAN } from '../../src/runner/runner-tracing.ts';
import { projectRoot } from '../support/processes.ts';
import { type DashboardDatabaseFixture, sqliteFixture } from './support/dashboard-fixture.ts';

// The runner's OpenTelemetry spans through the real @opentelemetry/api and an in-memory exporter
// of the real SDK, on a real SQLite database.

const exporter = new InMemorySpanExporter();
const SPAN_OK = 1;
const SPAN_ERROR = 2;

describe('OpenTelemetry spans of a migration', () => {
  let fixture: DashboardDatabaseFixture;

  beforeAll(() => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });

  afterAll(() => {
    trace.disable();
  });

  beforeEach(async () => {
    exporter.reset();
    await fixture?.teardown();
    fixture = await sqliteFixture();
  });

  it('one migration span, failed, with a child span per unit that ran: two OK, the failing one ERROR with its exception', async () => {
    await expect(createRunner(fixture.config).execute()).rejects.toMatchObject({ code: 'CHANGE_FAILED' });
    const spans = exporter.getFinishedSpans();
    const migration = spans.filter((span) => span.name === MIGRATION_SPAN);
    expect(migration).toHaveLength(1);
    const run = migration[0]!;
    expect(run.status.code).toBe(SPAN_ERROR);
    expect(run.attributes['mongock.error_code']).toBe('CHANGE_FAILED');
    expect(String(run.attributes['mongock.execution_id'])).not.toBe('');
    const units = spans.filter((span) => span.name === UNIT_SPAN);
    expect(units.map((span) => [span.attributes['mongock.change_id'], span.attributes['mongock.outcome'], span.status.code])).toEqual([
      ['create-clients', 'executed', SPAN_OK],
      ['index-clients', 'executed', SPAN_OK],
      ['dedupe-orders', 'failed', SPAN_ERROR],
    ]);
    for (const unit of units) {
      expect(unit.spanContext().traceId).toBe(run.spanContext().traceId);
      expect(unit.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    }
    expect(units[2]!.events.some((event) => event.name === 'exception')).toBe(true);
    // A unit span lasts as long as its unit: index-clients sleeps 60 ms.
    const millis = (span: (typeof units)[number]) => span.duration[0] * 1_000 + span.duration[1] / 1e6;
    expect(millis(units[1]!)).toBeGreaterThanOrEqual(55);
  });

  it('a run with nothing pending is one OK migration span with status up-to-date and no unit span', async () => {
    const ok = { ...fixture.config, changeUnits: (fixture.config.changeUnits ?? []).slice(0, 2) };
    await createRunner(ok).execute();
    exporter.reset();
    await createRunner(ok).execute();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => [span.name, span.attributes['mongock.status'], span.status.code])).toEqual([[MIGRATION_SPAN, 'up-to-date', SPAN_OK]]);
  });

  it('without a registered tracer provider the package is not loaded; without @opentelemetry/api a run works: asked once, untraced', () => {
    // A hook installed before the package loads makes '@opentelemetry/api' unresolvable, as in an application that does not have it.
    const preload = `const Module = require('node:module'); const resolve = Module._resolveFilename; globalThis.otelAsked = 0;
      Module._resolveFilename = function (request, ...rest) { if (request === '@opentelemetry/api') { globalThis.otelAsked++; const e = new Error('Cannot find module'); e.code = 'MODULE_NOT_FOUND'; throw e; } return resolve.call(this, request, ...rest); };`;
    const script = `${preload}
      const { createRunner, defineChangeUnit, silentLogger } = require(${JSON.stringify(join(projectRoot, 'dist', 'index.cjs'))});
      const { memoryDriver } = require(${JSON.stringify(join(projectRoot, 'dist', 'driver.cjs'))});
      const unit = defineChangeUnit({ id: 'a', order: '1', author: 'x', execute() {}, rollback() {} });
      const driver = memoryDriver();
      const run = () => createRunner({ driver, changeUnits: [unit], logger: silentLogger }).execute();
      (async () => {
        const first = await run();
        const unregistered = globalThis.otelAsked;
        // What @opentelemetry/api's registerGlobal leaves once an application set a tracer provider.
        globalThis[Symbol.for('opentelemetry.js.api.1')] = { version: '1.9.0', trace: {} };
        const second = await run();
        await run();
        console.log(JSON.stringify({ status: [first.status, second.status], unregistered, asked: globalThis.otelAsked }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ status: ['completed', 'up-to-date'], unregistered: 0, asked: 1 });
  });
});
