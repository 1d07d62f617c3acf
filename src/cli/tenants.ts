import { performance } from 'node:perf_hooks';
import type { ExecuteOptions, MultiTenantResult, MultiTenantRunner, TenantResult, UndoOptions } from '../index.ts';
import { multiTenantRunner } from '../index.ts';
import { CliError } from './cli-error.ts';
import type { CommandContext, OptionSpecs } from './command.ts';
import { EXIT_CODES, type ExitCode } from './exit-codes.ts';
import type { LoadedConfig } from './open-runner.ts';
import type { Output } from './output.ts';
import { formatDuration, renderTable } from './table.ts';

/** The flags of the commands that work on several tenants at once (migrate, undo, status, doctor). */
export const TENANT_MODE_OPTIONS: OptionSpecs = Object.freeze({
  'all-tenants': { type: 'boolean', description: 'Multi-tenant config: every tenant the config lists' },
  concurrency: { type: 'string', value: '<n>', description: 'Multi-tenant config: tenants worked on at once (default: tenants.concurrency)' },
});

/** How many tenants a plain (non-terminal) progress log waits for between lines: about ten lines per run. */
const PROGRESS_LINES = 10;

interface TenantMode {
  readonly runner: MultiTenantRunner;
  readonly tenants: readonly string[] | undefined;
  readonly concurrency: number | undefined;
}

/**
 * The multi-tenant runner and the selection the flags make. `explicit`: the command changes
 * tenants (migrate, undo), so it needs `--tenant` or `--all-tenants` rather than defaulting to all.
 */
export function tenantMode(context: CommandContext, loaded: LoadedConfig, command: string, explicit: boolean): TenantMode {
  const { values, out } = context;
  const ids = values.tenant as readonly string[] | undefined;
  const all = values['all-tenants'] === true;
  const hint = `See \`mongock ${command} --help\`.`;
  if (all && ids !== undefined && ids.length > 0) throw new CliError('USAGE', 'Use either --tenant <id> or --all-tenants, not both.', { hint });
  if (explicit && !all && (ids === undefined || ids.length === 0)) {
    throw new CliError('USAGE', `The config ${loaded.file} has tenants: say which with --tenant <id> (repeatable) or --all-tenants.`, { hint });
  }
  const text = values.concurrency as string | undefined;
  if (text !== undefined && !/^[1-9]\d*$/.test(text)) throw new CliError('USAGE', `--concurrency needs a positive whole number; got '${text}'.`, { hint });
  const runner = multiTenantRunner({ ...(loaded.multiTenant as NonNullable<LoadedConfig['multiTenant']>), logger: out.logger() });
  return { runner, tenants: all ? undefined : ids, concurrency: text === undefined ? undefined : Number(text) };
}

/** `mongock migrate` on several tenants: progress as tenants done / total with an ETA, one line (or JSON entry) per tenant. */
export async function migrateTenants(context: CommandContext, loaded: LoadedConfig, scope: ExecuteOptions, maxRunMs?: number): Promise<ExitCode> {
  const { runner, tenants, concurrency } = tenantMode(context, loaded, 'migrate', true);
  const stop = showTenantProgress(runner, context.out);
  let result: MultiTenantResult;
  try {
    result = await runner.execute({
      ...scope,
      ...(tenants === undefined ? {} : { tenants }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(maxRunMs === undefined ? {} : { maxRunMs }),
    });
  } finally {
    stop();
  }
  const { out } = context;
  out.json({ command: 'migrate', ok: result.ok, summary: result.summary, tenants: result.tenants.map(tenantJson) });
  for (const tenant of result.tenants)
    if (tenant.outcome === 'failed') out.error(`tenant ${tenant.tenant}: ${tenant.error?.message ?? 'a change unit failed'}`);
  if (out.interactive && !out.flags.quiet) {
    const ran = result.tenants.filter((tenant) => tenant.outcome !== 'up-to-date');
    if (ran.length > 0)
      out.print(
        renderTable(
          ['tenant', 'outcome', 'executed', 'duration'],
          ran.map((t) => tenantRow(out, t)),
          out.colors.bold,
        ),
      );
  }
  const { summary } = result;
  const line = `Tenants: ${summary.completed} migrated, ${summary.upToDate} up to date, ${summary.failed} failed, ${summary.skipped} skipped, ${summary.inProgress > 0 ? `${summary.inProgress} in progress, ` : ''}of ${summary.total}, in ${formatDuration(summary.durationMs)}.`;
  if (!result.ok) {
    out.error(line);
    return EXIT_CODES.failed;
  }
  // Work left for the next run: a tenant stopped at the budget, or not started before it was spent.
  const left = result.tenants.filter((tenant) => tenant.outcome === 'in-progress' || tenant.reason === 'time-budget');
  if (left.length === 0) {
    out.info(out.colors.green(line));
    return EXIT_CODES.ok;
  }
  out.info(
    out.colors.yellow(
      `${line} ${left.length} tenant${left.length === 1 ? '' : 's'} left with work at the time budget (--max-run-ms): run migrate again to continue.`,
    ),
  );
  return EXIT_CODES.inProgress;
}

/** `mongock undo` on the named tenants (or every one with `--all-tenants`). */
export async function undoTenants(context: CommandContext, loaded: LoadedConfig, options: UndoOptions): Promise<ExitCode> {
  const { runner, tenants } = tenantMode(context, loaded, 'undo', true);
  const ids = tenants ?? (await runner.listTenants()).map((tenant) => tenant.id);
  const results = await runner.undo({ ...options, tenants: ids });
  const { out } = context;
  const failed = results.filter((entry) => 'error' in entry);
  out.json({
    command: 'undo',
    ok: failed.length === 0,
    tenants: results.map((entry) =>
      'error' in entry
        ? { tenant: entry.tenant, ok: false, error: { code: entry.error.code, message: entry.error.message } }
        : {
            tenant: entry.tenant,
            ok: true,
            rolledBack: entry.value.items.filter((item) => item.outcome === 'rolled-back' && item.type === 'EXECUTION').length,
          },
    ),
  });
  for (const entry of results) {
    if ('error' in entry) out.error(`tenant ${entry.tenant}: ${entry.error.message}`);
    else
      out.info(`tenant ${entry.tenant}: rolled back ${entry.value.items.filter((item) => item.outcome === 'rolled-back' && item.type === 'EXECUTION').length}`);
  }
  return failed.length === 0 ? EXIT_CODES.ok : EXIT_CODES.failed;
}

/** `mongock status` on several tenants: the units × states matrix, the tenants behind. `--check` exits 4 when any tenant is behind. */
export async function statusTenants(context: CommandContext, loaded: LoadedConfig): Promise<ExitCode> {
  const { runner, tenants } = tenantMode(context, loaded, 'status', false);
  const status = await runner.status(tenants === undefined ? {} : { tenants });
  const { out } = context;
  const unreadable = status.tenants.filter((entry) => 'error' in entry);
  const behind = new Set(status.matrix.flatMap((row) => row.notExecuted));
  const gate = context.values.check === true && (behind.size > 0 || unreadable.length > 0);
  out.json({
    command: 'status',
    ok: !gate && unreadable.length === 0,
    tenants: status.tenants.length,
    behind: [...behind].sort(),
    matrix: status.matrix,
    errors: unreadable.map((entry) => ('error' in entry ? { tenant: entry.tenant, code: entry.error.code, message: entry.error.message } : null)),
  });
  out.print(
    renderTable(
      ['change', 'author', 'executed', 'pending', 'failed', 'rolled back', 'tenants not executed'],
      status.matrix.map((row) => [
        row.changeId,
        row.author,
        String(row.counts.executed),
        String(row.counts.pending),
        String(row.counts.failed),
        String(row.counts['rolled-back']),
        abbreviate(row.notExecuted),
      ]),
      out.colors.bold,
    ),
  );
  for (const entry of unreadable) if ('error' in entry) out.error(`tenant ${entry.tenant}: ${entry.error.message}`);
  out.info(
    `${status.tenants.length} tenants: ${status.tenants.length - behind.size - unreadable.length} up to date, ${behind.size} behind, ${unreadable.length} unreadable.`,
  );
  if (unreadable.length > 0) return EXIT_CODES.failed;
  return gate ? EXIT_CODES.pending : EXIT_CODES.ok;
}

/** `mongock doctor` on several tenants: each tenant's findings, and tenants with a history the list no longer names. */
export async function doctorTenants(context: CommandContext, loaded: LoadedConfig): Promise<ExitCode> {
  const { runner, tenants } = tenantMode(context, loaded, 'doctor', false);
  const diagnosis = await runner.diagnose(tenants === undefined ? {} : { tenants });
  const { out } = context;
  const blocking = diagnosis.tenants.filter((entry) => 'error' in entry || entry.value.blocking).map((entry) => entry.tenant);
  out.json({
    command: 'doctor',
    ok: blocking.length === 0,
    blocking,
    unlisted: diagnosis.unlisted,
    matrix: diagnosis.matrix,
    tenants: diagnosis.tenants.map((entry) =>
      'error' in entry
        ? { tenant: entry.tenant, error: { code: entry.error.code, message: entry.error.message } }
        : { tenant: entry.tenant, blocking: entry.value.blocking, findings: entry.value.findings },
    ),
  });
  for (const entry of diagnosis.tenants) {
    if ('error' in entry) out.error(`tenant ${entry.tenant}: ${entry.error.message}`);
    else for (const finding of entry.value.findings) out.print(`tenant ${entry.tenant}: ${finding.severity} [${finding.check}] ${finding.message}`);
  }
  const behind = diagnosis.matrix.filter((row) => row.notExecuted.length > 0);
  if (behind.length > 0)
    out.print(
      renderTable(
        ['change', 'author', 'executed', 'tenants not executed'],
        behind.map((row) => [row.changeId, row.author, String(row.counts.executed), abbreviate(row.notExecuted)]),
        out.colors.bold,
      ),
    );
  if (diagnosis.unlisted.length > 0) {
    out.warn(`Tenants with a Mongock history that tenants.list no longer names (left alone): ${abbreviate(diagnosis.unlisted)}.`);
  }
  out.info(`${diagnosis.tenants.length} tenants checked: ${blocking.length} blocking.`);
  return blocking.length === 0 ? EXIT_CODES.ok : EXIT_CODES.failed;
}

/**
 * Tenants done / total with an ETA from the pace so far: a live line on a terminal, about ten
 * plain lines otherwise; nothing in `--json` or `--quiet` mode. Returns a function that stops it.
 */
function showTenantProgress(runner: MultiTenantRunner, out: Output): () => void {
  if (out.flags.json || out.flags.quiet) return () => {};
  const started = performance.now();
  let failed = 0;
  const off = runner.on('tenant-finished', ({ result, done, total }) => {
    if (result.outcome === 'failed') failed++;
    const elapsed = performance.now() - started;
    const eta = done === total ? '' : `, about ${formatDuration((elapsed / done) * (total - done))} left`;
    const line = `tenants ${done}/${total} done${failed > 0 ? `, ${failed} failed` : ''}${eta}`;
    if (out.interactive) out.raw(`\r\u001b[2K${line}${done === total ? '\n' : ''}`);
    else if (done === total || done % Math.max(1, Math.ceil(total / PROGRESS_LINES)) === 0) out.print(line);
  });
  return off;
}

function tenantJson(tenant: TenantResult): Record<string, unknown> {
  return {
    tenant: tenant.tenant,
    outcome: tenant.outcome,
    ...(tenant.reason === undefined ? {} : { reason: tenant.reason }),
    executed: tenant.executed,
    failed: tenant.result?.failed ?? (tenant.outcome === 'failed' ? 1 : 0),
    durationMs: tenant.durationMs,
    ...(tenant.error === undefined ? {} : { error: { code: tenant.error.code, message: tenant.error.message, changeId: tenant.error.changeId ?? null } }),
  };
}

function tenantRow(out: Output, tenant: TenantResult): string[] {
  const outcome =
    tenant.outcome === 'failed'
      ? out.colors.red('✘ failed')
      : tenant.outcome === 'completed'
        ? out.colors.green('✔ migrated')
        : out.colors.dim(`- ${tenant.outcome}`);
  return [tenant.tenant, outcome, String(tenant.executed), formatDuration(tenant.durationMs)];
}

/** At most five ids, then how many more. */
function abbreviate(ids: readonly string[]): string {
  if (ids.length === 0) return '-';
  return ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;
}
