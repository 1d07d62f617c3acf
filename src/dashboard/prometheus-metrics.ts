import type { DatabaseSnapshot, DatabaseSummary } from './database-snapshot.ts';

/** One database as `/metrics` sees it: its snapshot, or only its summary when it could not be read. */
export type MetricsInput = { readonly snapshot: DatabaseSnapshot } | { readonly summary: DatabaseSummary };

interface Metric {
  readonly name: string;
  readonly type: 'gauge';
  readonly help: string;
  readonly value: (input: MetricsInput) => number | undefined;
}

const summaryOf = (input: MetricsInput): DatabaseSummary => ('snapshot' in input ? input.snapshot.summary : input.summary);
const read = (input: MetricsInput): DatabaseSnapshot | undefined => ('snapshot' in input ? input.snapshot : undefined);

/** Every metric, one sample per database (label `database`). Names follow Prometheus' conventions (base units, `_seconds`). */
const METRICS: readonly Metric[] = Object.freeze([
  { name: 'mongock_up', type: 'gauge', help: 'Whether the database could be read (1) or not (0).', value: (i) => ('snapshot' in i ? 1 : 0) },
  { name: 'mongock_units', type: 'gauge', help: 'Change units known to the configuration.', value: (i) => read(i)?.summary.counts.total },
  { name: 'mongock_units_executed', type: 'gauge', help: 'Change units executed.', value: (i) => read(i)?.summary.counts.executed },
  {
    name: 'mongock_units_pending',
    type: 'gauge',
    help: 'Change units not executed yet (pending or rolled back).',
    value: (i) => {
      const counts = read(i)?.summary.counts;
      return counts === undefined ? undefined : counts.pending + counts.rolledBack;
    },
  },
  { name: 'mongock_units_failed', type: 'gauge', help: 'Change units whose last attempt failed.', value: (i) => read(i)?.summary.counts.failed },
  {
    name: 'mongock_units_changed',
    type: 'gauge',
    help: 'Executed change units whose code changed since (checksum drift).',
    value: (i) => read(i)?.summary.counts.changed,
  },
  {
    name: 'mongock_last_run_duration_seconds',
    type: 'gauge',
    help: 'Duration of the newest execution recorded in the history.',
    value: (i) => seconds(read(i)?.summary.lastRun?.durationMs),
  },
  {
    name: 'mongock_last_run_timestamp_seconds',
    type: 'gauge',
    help: 'When the newest execution recorded in the history finished (Unix time).',
    value: (i) => seconds(epochMs(read(i)?.summary.lastRun?.finishedAt)),
  },
  {
    name: 'mongock_lock_held',
    type: 'gauge',
    help: 'Whether the migration lock is held (1) or free (0).',
    value: (i) => (read(i) === undefined ? undefined : read(i)?.lock ? 1 : 0),
  },
  {
    name: 'mongock_lock_held_seconds',
    type: 'gauge',
    help: 'For how long the lock has been held; 0 when free.',
    value: (i) => {
      const snapshot = read(i);
      if (snapshot === undefined) return undefined;
      return seconds(snapshot.lock?.heldForMs ?? 0);
    },
  },
]);

/** `/metrics` in the Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(inputs: readonly MetricsInput[]): string {
  const lines: string[] = [];
  for (const metric of METRICS) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const input of inputs) {
      const value = metric.value(input);
      if (value !== undefined) lines.push(`${metric.name}{database="${labelValue(summaryOf(input).name)}"} ${formatNumber(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The content type of the `/metrics` answer: Prometheus' text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function seconds(ms: number | null | undefined): number | undefined {
  return ms === undefined || ms === null ? undefined : ms / 1000;
}

function epochMs(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}

function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}
