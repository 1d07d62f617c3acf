import type { FilteredUnit, SelectedUnit } from '../../change/select-change-units.ts';
import type { LockHolder } from '../../drivers/driver.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import { entryKey, latestEntries } from '../../history/is-executed.ts';
import { filteredStatuses, ignoredEntries } from '../history-report.ts';
import { executionItem, planUnits } from '../plan.ts';
import { interruptedRecovery, unresolvedAttempts } from '../recovery.ts';
import type { ResolvedConfig } from '../resolve-config.ts';
import { unitStatuses } from '../unit-status.ts';
import { DOCTOR_CHECKS } from './checks.ts';
import type { DoctorCheck, DoctorInput, Finding, LegacyRows } from './doctor-check.ts';

/** `runner.diagnose()`: every finding, and whether any of them blocks the next run. */
export interface Diagnosis {
  readonly findings: readonly Finding[];
  readonly blocking: boolean;
  /** The checks that ran, by name. */
  readonly checks: readonly string[];
}

export interface DiagnoseSource {
  readonly config: ResolvedConfig;
  readonly units: readonly SelectedUnit[];
  readonly filtered: readonly FilteredUnit[];
  readonly warnings: readonly string[];
  readonly history: readonly ChangeEntry[];
  readonly lock: LockHolder | null;
  readonly transactional: boolean;
  readonly legacy?: LegacyRows | undefined;
  /** Batched units' checkpoints (read only when a unit is batched). */
  readonly checkpoints?: readonly BatchCheckpoint[];
}

/** What the checks read, built once from one history read and one lock inspection. */
export function doctorInput(source: DiagnoseSource): DoctorInput {
  const { config, units, history } = source;
  const plans = planUnits(units, history);
  const statuses = unitStatuses(plans, history, source.checkpoints);
  const latest = latestEntries(history);
  const unresolved = new Set(unresolvedAttempts(plans, history, source.transactional).map((attempt) => attempt.item.unit.key));
  const ids = new Map<string, number>();
  for (const unit of units) ids.set(unit.model.id, (ids.get(unit.model.id) ?? 0) + 1);
  return {
    units: plans.map((plan, i) => {
      const execution = executionItem(plan);
      return {
        status: statuses[i]!,
        recovery: interruptedRecovery(execution, config),
        hasRollback: execution.rollback !== undefined,
        latest: latest.get(entryKey(execution.changeId, plan.unit.author)) ?? null,
        unresolved: unresolved.has(plan.unit.key),
        ambiguousId: (ids.get(plan.unit.model.id) ?? 0) > 1,
      };
    }),
    filtered: filteredStatuses(source.filtered, history),
    ignored: ignoredEntries(units, source.filtered, history),
    lock: source.lock,
    orderWarnings: source.warnings,
    onChecksumMismatch: config.onChecksumMismatch,
    legacy: source.legacy,
  };
}

/** Runs every check over the input; a check that throws becomes a finding of its own, never a crash. */
export function diagnose(input: DoctorInput, checks: readonly DoctorCheck[] = DOCTOR_CHECKS): Diagnosis {
  const findings: Finding[] = [];
  for (const check of checks) {
    try {
      findings.push(...check.run(input));
    } catch (error) {
      findings.push({
        check: check.name,
        severity: 'warning',
        message: `The check itself failed: ${error instanceof Error ? error.message : String(error)}`,
        fix: [],
      });
    }
  }
  return { findings, blocking: findings.some((finding) => finding.severity === 'blocking'), checks: checks.map((check) => check.name) };
}
