import { collectChangeUnits, type LocatedSource } from '../change/collect-change-units.ts';
import { distinctSources } from '../change/distinct-sources.ts';
import { importUnitFiles, listUnitFiles, type UnitFile } from '../change/load-change-units.ts';
import { describeUnit, type FilteredUnit, type SelectedUnit, selectChangeUnits } from '../change/select-change-units.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { ValidationReport } from './runner-results.ts';

/**
 * The runner's change units: loaded from the scan paths and the given sources, validated and
 * ordered once per runner (every problem reported at once), with the warnings of the selection.
 * A failed load is not cached: the next operation tries again.
 */
export class UnitCatalog {
  readonly #config: ResolvedConfig;
  #loaded: Promise<readonly SelectedUnit[]> | undefined;
  #warnings: readonly string[] = [];
  #filtered: readonly FilteredUnit[] = [];

  constructor(config: ResolvedConfig) {
    this.#config = config;
  }

  units(): Promise<readonly SelectedUnit[]> {
    this.#loaded ??= this.#load().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    return this.#loaded;
  }

  /** Every unit as `validate()` reports it, with the warnings of the load. */
  async report(): Promise<ValidationReport> {
    const units = await this.units();
    return {
      units: units.map((unit) => ({
        changeId: unit.model.id,
        author: unit.author,
        order: unit.model.orderKey.filter(Boolean).join('/'),
        orderKey: unit.model.orderKey,
        source: unit.model.source,
      })),
      warnings: this.#warnings,
    };
  }

  /** What the last successful load warned about. */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** Units in code that the last load left out (profiles, system-version window), with the reason. */
  get filtered(): readonly FilteredUnit[] {
    return this.#filtered;
  }

  /**
   * Whether a start-up may skip importing applied files (docs/performance.md): every unit comes
   * from scan-path files, and none is loaded yet. Units passed in memory take the ordinary path.
   */
  get fromFilesOnly(): boolean {
    return this.#loaded === undefined && this.#config.migrationScanPaths.length > 0 && this.#config.changeUnits.length === 0;
  }

  /** The scan-path files, read and digested but not imported; a later load imports these. */
  async listFiles(): Promise<readonly UnitFile[]> {
    this.#listed = await listUnitFiles(this.#config.migrationScanPaths, this.#config.defaultAuthor);
    return this.#listed;
  }

  #listed: readonly UnitFile[] | undefined;

  async #load(): Promise<readonly SelectedUnit[]> {
    const config = this.#config;
    const files = this.#listed ?? (await listUnitFiles(config.migrationScanPaths, config.defaultAuthor));
    this.#listed = undefined;
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
      ...this.#strategyProblems(selection.units),
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
    this.#warnings = config.onFileWithoutUnits === 'warn' ? [...emptyFiles, ...selection.warnings] : selection.warnings;
    this.#filtered = selection.filtered;
    if (selection.units.length === 0) config.logger.warn('No change units were found (check migrationScanPath, profiles and the system-version window).');
    return selection.units;
  }

  #strategyProblems(units: readonly SelectedUnit[]): string[] {
    if (this.#config.transactionStrategy !== 'execution') return [];
    return units
      .filter((unit) => unit.model.transactional === false)
      .map(
        (unit) =>
          `${describeUnit(unit.model)} says transactional: false, which one transaction for the whole execution cannot honour. Use transactionStrategy 'changeUnit'.`,
      );
  }
}
