import type { Finding } from '../index.ts';
import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { loadConfig, runnerFor } from './open-runner.ts';
import { doctorTenants, TENANT_MODE_OPTIONS } from './tenants.ts';

/** `mongock doctor`: everything that would block or surprise the next run, each with what to do. */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'List what would block or surprise the next run, each with what to do; read-only',
  usage: 'doctor [options]',
  description:
    'Checks: interrupted or failed units (and whether the next run retries them or needs `mongock mark`), batched units in\n' +
    'progress (processed / estimated total, last checkpoint key), a live or expired\n' +
    'lock and its holder, checksum drift, history entries with no unit in code, units left out by profile or system version,\n' +
    'orders that sort surprisingly. Exits 1 when something blocks the next run, 0 otherwise. Takes no lock, writes nothing.',
  options: { ...TENANT_MODE_OPTIONS },
  examples: ['mongock doctor', 'mongock doctor --json'],
  async run(context) {
    const { out } = context;
    const loaded = await loadConfig(context);
    if (loaded.multiTenant !== undefined) return doctorTenants(context, loaded);
    const runner = runnerFor(context, loaded);
    const diagnosis = await runner.diagnose();
    const code = diagnosis.blocking ? EXIT_CODES.failed : EXIT_CODES.ok;
    out.json({ command: 'doctor', ok: !diagnosis.blocking, blocking: diagnosis.blocking, checks: diagnosis.checks, findings: diagnosis.findings });
    if (diagnosis.findings.length === 0) {
      out.print(out.colors.green(`✔ Nothing to report (${diagnosis.checks.length} checks).`));
      return code;
    }
    for (const finding of diagnosis.findings) printFinding(out, finding);
    const count = (severity: Finding['severity']) => diagnosis.findings.filter((finding) => finding.severity === severity).length;
    const summary = `${count('blocking')} blocking, ${count('warning')} warning${count('warning') === 1 ? '' : 's'}, ${count('info')} info.`;
    if (diagnosis.blocking) out.error(`${summary} The next migration would stop.`);
    else out.info(summary);
    return code;
  },
};

function printFinding(out: Parameters<Command['run']>[0]['out'], finding: Finding): void {
  const { colors } = out;
  const label =
    finding.severity === 'blocking' ? colors.red('✘ blocking') : finding.severity === 'warning' ? colors.yellow('! warning ') : colors.dim('i info    ');
  out.print(`${label} ${colors.dim(`[${finding.check}]`)} ${finding.message}`);
  for (const step of finding.fix) out.print(`    ${colors.dim('→')} ${step}`);
}
