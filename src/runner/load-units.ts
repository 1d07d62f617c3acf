import { collectChangeUnits, type LocatedSource } from '../change/collect-change-units.ts';
import { distinctSources } from '../change/distinct-sources.ts';
import { importUnitFiles } from '../change/load-change-units.ts';
import { describeUnit, type FilteredUnit, type SelectedUnit, selectChangeUnits } from '../change/select-change-units.ts';
import type { UnitFile } from '../change/unit-files.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ResolvedConfig } from './resolve-config.ts';

/** What one load of a runner's change units found: the units in order, the warnings, and what the selection left out. */
export interface LoadedUnits {
  readonly units: readonly SelectedUnit[];
  readonly warnings: readonly string[];
  readonly filtered: readonly FilteredUnit[];
}

/**
 * Imports the scan-path `files` and adds the units given in code, then validates and orders them
 * (every problem reported at once, `INVALID_CHANGE_UNIT`). The warnings are logged as well as
 * returned.
 */
export async function loadUnits(config: ResolvedConfig, files: readonly UnitFile[]): Promise<LoadedUnits> {
  const withoutUnits: string[] = [];
  const located: LocatedSource[] = [
    ...(await importUnitFiles(files, (file) => withoutUnits.push(file))),
    ...config.changeUnits.map((source) => ({ source, file: undefined })),
  ];
  const collected = collectChangeUnits(distinctSources(located));
  const selection = selectChangeUnits(collected.units, config);
  const emptyFiles = withoutUnits.map(
    (file) =>
      `${file} is in a scan path but exports no change unit (a @ChangeUnit/@ChangeLog class or a defineChangeUnit object); it was not run. ` +
      "Wrap it in defineChangeUnit, or move it out of the scan path (onFileWithoutUnits: 'ignore' silences this).",
  );
  const problems = [
    ...collected.problems,
    ...selection.problems,
    ...strategyProblems(config, selection.units),
    ...(config.onFileWithoutUnits === 'fail' ? emptyFiles : []),
  ];
  if (config.onFileWithoutUnits === 'warn') for (const warning of emptyFiles) config.logger.warn(warning);
  if (problems.length > 0) {
    const first = collected.units.find((unit) => problems[0]?.includes(`'${unit.id}'`));
    throw new MongockError('INVALID_CHANGE_UNIT', `Invalid change units; nothing was run:\n  - ${problems.join('\n  - ')}`, {
      problems,
      changeId: first?.id,
      file: first?.source,
    });
  }
  for (const warning of selection.warnings) config.logger.warn(warning);
  if (selection.units.length === 0) config.logger.warn('No change units were found (check migrationScanPath, profiles and the system-version window).');
  return {
    units: selection.units,
    warnings: config.onFileWithoutUnits === 'warn' ? [...emptyFiles, ...selection.warnings] : selection.warnings,
    filtered: selection.filtered,
  };
}

function strategyProblems(config: ResolvedConfig, units: readonly SelectedUnit[]): string[] {
  if (config.transactionStrategy !== 'execution') return [];
  return units
    .filter((unit) => unit.model.transactional === false)
    .map(
      (unit) =>
        `${describeUnit(unit.model)} says transactional: false, which one transaction for the whole execution cannot honour. Use transactionStrategy 'changeUnit'.`,
    );
}
