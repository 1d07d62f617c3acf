import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRunner } from '../../src/index.ts';
import { MIGRATION_SPAN, UNIT_SPAN } from '../../src/runner/runner-tracing.ts';
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
});
