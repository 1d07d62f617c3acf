import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { createRunner, type Logger, type MongockConfig, type MongockRunner, type MultiTenantConfig, multiTenantRunner } from '../index.ts';
import { isMultiTenantConfig } from '../tenants/tenant-config.ts';
import { CliError } from './cli-error.ts';
import type { CommandContext } from './command.ts';
import { findConfigFile, importConfigFile } from './config-file.ts';
import { applyEnvOverrides } from './env-overrides.ts';
import { driverFromJson, interpolateEnv, secretsOf } from './json-driver.ts';

/** A loaded config file, every override applied. */
export interface LoadedConfig {
  readonly file: string;
  readonly dir: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Absolute scan paths. */
  readonly scanPaths: readonly string[];
  /**
   * Set when the config has tenants and the command works on several (see `--tenant`); with one
   * `--tenant <id>`, `config` is that tenant's single-database config instead and this is unset.
   */
  readonly multiTenant?: MultiTenantConfig;
}

/**
 * Finds and loads the config (see docs/cli.md "Config lookup"). The process moves to the config
 * file's folder first, as knex does, so that relative paths in it (scan paths, a SQLite file)
 * mean the same from any working directory.
 */
export async function loadConfig(context: CommandContext): Promise<LoadedConfig> {
  const { io, out, values } = context;
  const explicit = (values.config as string | undefined) ?? (io.env.MONGOCK_CONFIG || undefined);
  const file = findConfigFile(io.cwd, explicit);
  const dir = dirname(file);
  io.chdir(dir);
  out.debug(`Config: ${file}`);
  let raw: Record<string, unknown> = await importConfigFile(file);
  if (extname(file) === '.json') {
    raw = interpolateEnv(raw, io.env, file) as Record<string, unknown>;
    for (const secret of secretsOf(raw)) out.addSecret(secret);
    if (raw.driver !== undefined) raw = { ...raw, driver: await driverFromJson(raw.driver, file) };
  }
  const config = applyEnvOverrides(raw, io.env);
  const profiles = values.profile as readonly string[] | undefined;
  if (profiles !== undefined && profiles.length > 0) config.activeProfiles = [...profiles];
  const given = config.migrationScanPath;
  const list = typeof given === 'string' ? [given] : Array.isArray(given) ? given.filter((path): path is string => typeof path === 'string') : [];
  const scanPaths = list.map((path) => (isAbsolute(path) ? path : resolve(dir, path)));
  if (typeof given === 'string') config.migrationScanPath = scanPaths[0];
  else if (Array.isArray(given) && list.length === given.length) config.migrationScanPath = scanPaths;
  const tenants = values.tenant as readonly string[] | undefined;
  if (!isMultiTenantConfig(config)) {
    if (tenants !== undefined && tenants.length > 0) throw new CliError('USAGE', `--tenant: the config ${file} has no tenants (no 'tenants' option).`);
    return { file, dir, config: Object.freeze(config), scanPaths };
  }
  const multiTenant = Object.freeze({ ...config }) as unknown as MultiTenantConfig;
  if (tenants?.length !== 1) return { file, dir, config: Object.freeze(config), scanPaths, multiTenant };
  const single = await multiTenantRunner({ ...multiTenant, logger: out.logger() }).configFor(tenants[0]!);
  return { file, dir, config: Object.freeze({ ...single }), scanPaths };
}

/** A runner for the loaded config, logging through the CLI's output. Validates the config (INVALID_CONFIG, exit 2). */
export function runnerFor(context: CommandContext, loaded: LoadedConfig, logger: Logger = context.out.logger()): MongockRunner {
  if (loaded.multiTenant !== undefined) {
    throw new CliError('USAGE', `The config ${loaded.file} has tenants and this command works on one database: name it with --tenant <id>.`);
  }
  return createRunner({ ...(loaded.config as unknown as MongockConfig), logger });
}

/** A path as the user typed it relative to where they are. */
export function displayPath(path: string | undefined, cwd: string): string {
  if (path === undefined) return '-';
  const shown = relative(cwd, path);
  return shown === '' ? '.' : shown.startsWith('..') && shown.split('/').filter((part) => part === '..').length > 2 ? path : shown;
}
