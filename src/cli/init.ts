import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error.ts';
import type { Command, CommandContext } from './command.ts';
import { CONFIG_FILE_NAMES } from './config-file.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { DRIVER_TYPES } from './json-driver.ts';
import { detectProject } from './project.ts';
import { type ConfigFormat, configTemplate, type DriverType } from './templates.ts';

const FORMATS: readonly ConfigFormat[] = ['ts', 'mjs', 'cjs', 'json'];

/** `mongock init`: writes a config file and a migrations folder. */
export const initCommand: Command = {
  name: 'init',
  summary: 'Create mongock.config.* and a migrations folder',
  usage: 'init [--format ts|mjs|cjs|json] [--driver <type>] [--dir <folder>] [options]',
  description:
    'The format follows the project: ts with a tsconfig.json, else mjs with "type": "module", else cjs.\n' +
    'On a terminal it asks for the driver and folder (unless --yes); elsewhere it asks nothing.',
  options: {
    format: { type: 'string', value: '<format>', description: 'Config file format: ts, mjs, cjs or json' },
    driver: { type: 'string', value: '<type>', description: 'sqlite (default), mongodb, postgres or mysql' },
    dir: { type: 'string', value: '<folder>', description: 'Migrations folder (default: migrations)' },
    force: { type: 'boolean', description: 'Overwrite an existing config file' },
    yes: { type: 'boolean', short: 'y', description: 'Ask nothing; use flags and defaults' },
  },
  examples: ['mongock init', 'mongock init --format mjs --driver postgres --dir db/migrations'],
  async run(context) {
    const { io, out, values } = context;
    const project = detectProject(io.cwd);
    const format = (values.format as string | undefined) ?? (project.language === 'ts' ? 'ts' : project.module === 'esm' ? 'mjs' : 'cjs');
    if (!FORMATS.includes(format as ConfigFormat)) throw new CliError('USAGE', `--format must be one of ${FORMATS.join(', ')}; got '${format}'.`);
    let driver = values.driver as string | undefined;
    let dir = values.dir as string | undefined;
    if (driver !== undefined && !DRIVER_TYPES.includes(driver))
      throw new CliError('USAGE', `--driver must be one of ${DRIVER_TYPES.join(', ')}; got '${driver}'.`);
    const configFile = join(io.cwd, `mongock.config.${format}`);
    refuseSecondConfig(io.cwd, configFile, values.force === true);
    const ask = io.stdin.isTTY === true && io.stdout.isTTY && values.yes !== true && !out.flags.json;
    if (ask) ({ driver, dir } = await prompt(context, driver, dir));
    driver ??= 'sqlite';
    dir = (dir ?? 'migrations').replace(/^\.\//, '').replace(/\/+$/, '');
    const migrations = resolve(io.cwd, dir);
    await writeFile(configFile, configTemplate(format as ConfigFormat, driver as DriverType, dir));
    await mkdir(migrations, { recursive: true });
    const keep = join(migrations, '.gitkeep');
    if (!existsSync(keep)) await writeFile(keep, '');
    out.json({ command: 'init', ok: true, config: configFile, migrations, driver, format });
    out.print(`Created ${relative(io.cwd, configFile)} (${driver} driver) and ${relative(io.cwd, migrations)}/.`);
    const client = DRIVER_CLIENTS[driver as DriverType];
    if (!resolvableFrom(io.cwd, client)) out.info(`Install the ${driver} client: npm install ${client}`);
    // tsx is an optional peer; `create` writes TypeScript units here, decorated ones among them.
    if (format === 'ts' && !resolvableFrom(io.cwd, 'tsx')) out.info('TypeScript config and units need tsx: npm install -D tsx');
    out.info('Next: mongock create <name>, then mongock migrate.');
    return EXIT_CODES.ok;
  },
};

/** The npm package each driver type needs next to mongock. */
const DRIVER_CLIENTS: Readonly<Record<DriverType, string>> = { sqlite: 'better-sqlite3', mongodb: 'mongodb', postgres: 'pg', mysql: 'mysql2' };

function resolvableFrom(dir: string, name: string): boolean {
  try {
    createRequire(join(dir, 'package.json')).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The CLI reads the first config it finds (CONFIG_FILE_NAMES order), so a second one in another
 * format would be silently ignored or would silently win. `--force` replaces the same file only.
 */
function refuseSecondConfig(cwd: string, configFile: string, force: boolean): void {
  const existing = CONFIG_FILE_NAMES.map((name) => join(cwd, name)).find((file) => existsSync(file));
  if (existing === undefined || (force && existing === configFile)) return;
  if (existing === configFile) throw new CliError('USAGE', `${existing} already exists; nothing was written.`, { hint: 'Use --force to overwrite it.' });
  throw new CliError('USAGE', `${existing} already exists; a second config (${basename(configFile)}) next to it would be ambiguous, so nothing was written.`, {
    hint: `Edit ${basename(existing)}, or delete it and run init again${force ? '' : ' (--force replaces a config of the same format only)'}.`,
  });
}

async function prompt(context: CommandContext, driver: string | undefined, dir: string | undefined): Promise<{ driver?: string; dir?: string }> {
  const { io } = context;
  const rl = createInterface({ input: io.stdin, output: { write: (text: string) => io.stdout.write(text) } as unknown as NodeJS.WritableStream });
  try {
    let pickedDriver = driver;
    while (pickedDriver === undefined) {
      const answer = (await rl.question(`Database (${DRIVER_TYPES.join(', ')}) [sqlite]: `)).trim() || 'sqlite';
      if (DRIVER_TYPES.includes(answer)) pickedDriver = answer;
      else io.stdout.write(`'${answer}' is not one of ${DRIVER_TYPES.join(', ')}; try again.\n`);
    }
    const pickedDir = dir ?? ((await rl.question('Migrations folder [migrations]: ')).trim() || undefined);
    return { driver: pickedDriver, dir: pickedDir };
  } finally {
    rl.close();
  }
}
