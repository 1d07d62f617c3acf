import type { FilteredUnit, SelectedUnit } from '../change/select-change-units.ts';
import { listUnitFiles, type UnitFile } from '../change/unit-files.ts';
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

  /**
   * The scan-path files, read and digested but not imported; a later load imports these. The
   * folders are listed before this returns (a bad scan path throws here); the digests come later.
   */
  listFiles(): Promise<readonly UnitFile[]> {
    return listUnitFiles(this.#config.migrationScanPaths, this.#config.defaultAuthor).then((files) => {
      this.#listed = files;
      return files;
    });
  }

  #listed: readonly UnitFile[] | undefined;

  async #load(): Promise<readonly SelectedUnit[]> {
    const config = this.#config;
    const files = this.#listed ?? (await listUnitFiles(config.migrationScanPaths, config.defaultAuthor));
    this.#listed = undefined;
    // Imported on first use: a start-up that finds every file applied never loads the importers,
    // the validation or the TypeScript loader (docs/performance.md).
    const { loadUnits } = await import('./execution-path.ts');
    const loaded = await loadUnits(config, files);
    this.#warnings = loaded.warnings;
    this.#filtered = loaded.filtered;
    return loaded.units;
  }
}
