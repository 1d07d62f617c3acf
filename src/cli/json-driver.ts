import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Driver } from '../index.ts';
import { CliError } from './cli-error.ts';
import { isPlainRecord } from './config-file.ts';

/** Driver types a JSON config can name, each a subpath of the package. */
export const DRIVER_TYPES: readonly string[] = Object.freeze(['sqlite', 'mongodb', 'postgres', 'mysql']);

const FACTORY_NAMES: Readonly<Record<string, readonly string[]>> = {
  sqlite: ['sqliteDriver'],
  mongodb: ['mongodbDriver', 'mongoDriver'],
  postgres: ['postgresDriver', 'postgresqlDriver', 'pgDriver'],
  mysql: ['mysqlDriver', 'mariadbDriver'],
};

const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/** The module of a driver subpath, next to this file: `./<type>.js` when built, `../drivers/<type>/index.ts` in the sources. */
function driverModuleUrl(type: string): URL {
  const here = import.meta.url;
  return /\.[cm]?ts$/.test(here) ? new URL(`../drivers/${type}/index.ts`, here) : new URL(`./${type}.js`, here);
}

/**
 * A JSON config cannot hold a driver object, so it names one: `{ "type": "sqlite", "filename":
 * "app.db" }` calls `sqliteDriver({ filename: "app.db" })` from `mongock/sqlite`. The other keys
 * are the factory's options as they are.
 */
export async function driverFromJson(spec: unknown, file: string): Promise<Driver> {
  if (!isPlainRecord(spec) || typeof spec.type !== 'string') {
    throw new CliError('CONFIG', `In ${file}, 'driver' must be an object with a 'type' (one of ${DRIVER_TYPES.join(', ')}) and the driver's options.`, {
      hint: 'Example: "driver": { "type": "sqlite", "filename": "app.db" }',
      file,
    });
  }
  const { type, ...given } = spec;
  // A relative SQLite file is the config's neighbour, whatever folder the process is in when it opens it.
  const options =
    type === 'sqlite' &&
    typeof given.filename === 'string' &&
    given.filename !== ':memory:' &&
    !given.filename.startsWith('file:') &&
    !isAbsolute(given.filename)
      ? { ...given, filename: resolve(dirname(file), given.filename) }
      : given;
  if (!DRIVER_TYPES.includes(type)) {
    throw new CliError('CONFIG', `In ${file}, driver type '${type}' is unknown; use one of ${DRIVER_TYPES.join(', ')}.`, { file });
  }
  const url = driverModuleUrl(type);
  if (!existsSync(fileURLToPath(url))) {
    throw new CliError('CONFIG', `The '${type}' driver is not available in this build of mongock (${fileURLToPath(url)} is missing).`, {
      hint: 'Use a TypeScript or JavaScript config that imports the driver, or another driver type.',
      file,
    });
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await nativeImport(url.href);
  } catch (cause) {
    throw new CliError('CONFIG', `Could not load the '${type}' driver: ${cause instanceof Error ? cause.message : String(cause)}`, { file, cause });
  }
  const named = (FACTORY_NAMES[type] ?? []).find((name) => typeof namespace[name] === 'function');
  const candidates = Object.keys(namespace).filter((name) => /Driver$/.test(name) && typeof namespace[name] === 'function');
  const factoryName = named ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (factoryName === undefined) throw new CliError('CONFIG', `The '${type}' driver module exports no driver factory.`, { file });
  return (namespace[factoryName] as (options: Record<string, unknown>) => Driver)(options);
}

/** Replaces `${NAME}` in every string of a JSON config by the environment variable NAME (secrets stay out of the file). */
export function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, file: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
      const found = env[name];
      if (found === undefined) throw new CliError('CONFIG', `${file} uses \${${name}}, but the environment variable ${name} is not set.`, { file });
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolateEnv(item, env, file));
  if (isPlainRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, file)]));
  return value;
}

/** String values under password-like keys, so that output can hide them. */
export function secretsOf(value: unknown, found: string[] = []): string[] {
  if (isPlainRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && /pass(word)?|secret|token|pwd/i.test(key)) found.push(item);
      else secretsOf(item, found);
    }
  }
  return found;
}
