import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, extname, join, relative, resolve } from 'node:path';
import { hasText } from '../change/unit-order.ts';
import { type MongockRunner, silentLogger } from '../index.ts';
import { CliError } from './cli-error.ts';
import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { builtInFileTemplate, type FileUnitKind } from './file-unit-templates.ts';
import { nextOrder, sortsAfterAll } from './next-order.ts';
import { type LoadedConfig, loadConfig, runnerFor } from './open-runner.ts';
import { detectProject, type Language, type ModuleKind } from './project.ts';
import { builtInUnitTemplate, contextTypeFor, fillTemplate, type UnitStyle } from './templates.ts';

/** `mongock create <name>`: scaffolds the next change unit. */
export const createCommand: Command = {
  name: 'create',
  summary: 'Scaffold a change unit file with the next order',
  usage: 'create <name> [--lang ts|js] [--style decorator|define] [--sql | --declarative] [options]',
  description:
    'Writes <dir>/<order>_<name>.<ext> (first migrationScanPath of the config, or --dir). The order sorts after every\n' +
    'existing unit as the runner compares orders (as strings): numeric orders of one width go up by one at that width,\n' +
    'date stamps take the current stamp, anything else extends the greatest order; an order that would not run last\n' +
    '(--order, or a unit without order) is refused unless --allow-confusing-ordering. Templates: --template <file>, else\n' +
    '.mongock/templates/change-unit[.<style>].<ext> next to the config, else the built-in one; placeholders {{id}}\n' +
    '{{order}} {{author}} {{className}}. --sql writes <order>_<name>.sql (docs/sql-units.md), --declarative a MongoDB\n' +
    '<order>_<name>.json (docs/declarative-units.md); their id is the file name without extension.',
  maxPositionals: 1,
  options: {
    dir: { type: 'string', value: '<folder>', description: 'Where to write it (default: the first migrationScanPath)' },
    lang: { type: 'string', value: '<ts|js>', description: 'TypeScript or JavaScript (default: from the config file / tsconfig.json)' },
    style: { type: 'string', value: '<style>', description: 'decorator (TypeScript default) or define (defineChangeUnit)' },
    author: { type: 'string', value: '<name>', description: 'Author (default: defaultAuthor of the config, else the OS user)' },
    template: { type: 'string', value: '<file>', description: 'Template file to fill instead of the default one' },
    order: { type: 'string', value: '<order>', description: 'Order to give it (default: one that sorts after every existing unit)' },
    'allow-confusing-ordering': { type: 'boolean', description: 'Write it even if it would not run after every existing unit' },
    sql: { type: 'boolean', description: 'Write a .sql change unit (PostgreSQL, MySQL/MariaDB, SQLite)' },
    declarative: { type: 'boolean', description: 'Write a declarative MongoDB unit (.json listing commands)' },
  },
  examples: ['mongock create add-status-field', 'mongock create seed-users --lang js --style define', 'mongock create add-email --sql'],
  async run(context) {
    const { io, out, values, positionals } = context;
    const name = positionals[0];
    if (name === undefined)
      throw new CliError('USAGE', 'create needs a name, e.g. `mongock create add-status-field`.', { hint: 'See `mongock create --help`.' });
    const id = name
      .trim()
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase();
    if (id === '') throw new CliError('USAGE', `'${name}' has no letters or digits to make a change id from.`);
    const explicitDir = values.dir as string | undefined;
    let loaded: LoadedConfig | undefined;
    try {
      loaded = await loadConfig(context);
    } catch (error) {
      // Without a config, --dir is enough to scaffold.
      if (explicitDir === undefined || (error as { code?: string }).code !== 'CONFIG') throw error;
    }
    const dir = explicitDir !== undefined ? resolve(io.cwd, explicitDir) : loaded?.scanPaths[0];
    if (dir === undefined) throw new CliError('CONFIG', 'The config has no migrationScanPath; pass --dir <folder>.');
    const project = detectProject(loaded?.dir ?? io.cwd);
    const configExt = loaded === undefined ? '' : extname(loaded.file);
    const language = ((values.lang as string | undefined) ??
      (['.ts', '.mts', '.cts'].includes(configExt) ? 'ts' : configExt === '' ? project.language : 'js')) as Language;
    if (language !== 'ts' && language !== 'js') throw new CliError('USAGE', `--lang must be ts or js; got '${String(language)}'.`);
    const style = ((values.style as string | undefined) ?? (language === 'ts' ? 'decorator' : 'define')) as UnitStyle;
    if (style !== 'decorator' && style !== 'define') throw new CliError('USAGE', `--style must be decorator or define; got '${String(style)}'.`);
    if (style === 'decorator' && language === 'js') throw new CliError('USAGE', 'Decorators need TypeScript; use --style define for JavaScript.');
    const module: ModuleKind = configExt === '.mjs' ? 'esm' : configExt === '.cjs' ? 'cjs' : project.module;
    const fileKind = fileUnitKind(values);
    const ext =
      fileKind === 'sql'
        ? 'sql'
        : fileKind === 'declarative'
          ? 'json'
          : language === 'ts'
            ? 'ts'
            : configExt === '.mjs'
              ? 'mjs'
              : configExt === '.cjs'
                ? 'cjs'
                : 'js';

    await mkdir(dir, { recursive: true });
    const runner = loaded === undefined ? undefined : runnerFor(context, loaded, silentLogger);
    const existing = await existingOrderKeys(dir, runner);
    const allowConfusing = values['allow-confusing-ordering'] === true;
    const explicitOrder = values.order as string | undefined;
    if (explicitOrder !== undefined && explicitOrder.trim() === '') throw new CliError('USAGE', '--order needs a non-empty order, e.g. --order 0005.');
    const order =
      explicitOrder ??
      nextOrder(
        existing.map((unit) => unit.orderKey),
        new Date(),
      ).order;
    if (
      !allowConfusing &&
      !sortsAfterAll(
        order,
        existing.map((unit) => unit.orderKey),
      )
    )
      throw confusingOrder(order, existing);
    const file = join(dir, `${safeFilePart(order)}_${id}.${ext}`);
    if (existsSync(file)) throw new CliError('USAGE', `${file} already exists.`);
    // A file unit's id is its file name without extension (docs/sql-units.md).
    const unitId = fileKind === undefined ? id : basename(file, `.${ext}`);

    const templateFile = pickTemplate(values.template as string | undefined, io.cwd, loaded?.dir ?? io.cwd, fileKind ?? style, ext);
    const template =
      templateFile !== undefined
        ? await readFile(templateFile, 'utf8')
        : fileKind !== undefined
          ? builtInFileTemplate(fileKind)
          : builtInUnitTemplate(language, module, style, contextTypeFor((loaded?.config.driver as { name?: unknown } | undefined)?.name));
    const author = (values.author as string | undefined) ?? (loaded?.config.defaultAuthor as string | undefined) ?? safeUser();
    const className = id.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase()).replace(/^(\d)/, '_$1');
    await writeFile(file, fillTemplate(template, { id: unitId, order, author, className }));

    // Load it back through the runner, so a broken template fails here rather than at deploy, and
    // so that "runs last" is judged by the runner's own sort, not only by this file's reasoning.
    const units = runner === undefined ? undefined : (await runnerFor(context, loaded!).validate()).units;
    const created = units?.find((unit) => unit.changeId === unitId && unit.source === file);
    if (units !== undefined && created === undefined)
      out.warn(`${file} was written, but no change unit '${unitId}' was loaded from it (profiles, system versions or the template?).`);
    if (units !== undefined && created !== undefined && units.at(-1) !== created && !allowConfusing) {
      await unlink(file);
      const last = units.at(-1)!;
      throw new CliError('USAGE', `Order '${order}' would run before '${last.changeId}' (order '${last.order}'); nothing was written.`, {
        hint: 'Pass --order with a later order, or --allow-confusing-ordering to write it anyway.',
      });
    }
    out.json({
      command: 'create',
      ok: true,
      file,
      changeId: unitId,
      order,
      author,
      kind: fileKind ?? 'code',
      ...(fileKind === undefined ? { language, style } : {}),
      state: 'pending',
      template: templateFile ?? 'built-in',
    });
    out.print(`Created ${relative(io.cwd, file)}`);
    out.print(`${out.colors.yellow('pending')}  ${order}  ${unitId}  (${author})`);
    return EXIT_CODES.ok;
  },
};

function fileUnitKind(values: Readonly<Record<string, unknown>>): FileUnitKind | undefined {
  if (values.sql === true && values.declarative === true)
    throw new CliError('USAGE', '--sql and --declarative exclude each other: a unit is one file of one kind.');
  if ((values.sql === true || values.declarative === true) && (values.lang !== undefined || values.style !== undefined))
    throw new CliError('USAGE', '--lang and --style are for code units; --sql and --declarative write a file that is not code.');
  return values.sql === true ? 'sql' : values.declarative === true ? 'declarative' : undefined;
}

function pickTemplate(explicit: string | undefined, cwd: string, configDir: string, style: UnitStyle | FileUnitKind, ext: string): string | undefined {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new CliError('USAGE', `Template ${file} does not exist.`);
    return file;
  }
  const folder = join(configDir, '.mongock', 'templates');
  return [join(folder, `change-unit.${style}.${ext}`), join(folder, `change-unit.${ext}`)].find((file) => existsSync(file));
}

interface ExistingUnit {
  readonly label: string;
  readonly orderKey: readonly string[];
}

/** Every order already in the folder: file name prefixes (`0003_...`), and every unit the config loads. */
async function existingOrderKeys(dir: string, runner: MongockRunner | undefined): Promise<ExistingUnit[]> {
  const existing: ExistingUnit[] = readdirSync(dir)
    .map((file) => ({ file, order: FILE_ORDER.exec(file)?.[1] }))
    .filter((entry): entry is { file: string; order: string } => entry.order !== undefined)
    .map(({ file, order }) => ({ label: file, orderKey: [order] }));
  if (runner !== undefined) for (const unit of (await runner.validate()).units) existing.push({ label: `'${unit.changeId}'`, orderKey: unit.orderKey });
  return existing;
}

const FILE_ORDER = /^(\d+)[_-]/;

function confusingOrder(order: string, existing: readonly ExistingUnit[]): CliError {
  const blocking = existing.filter((unit) => !sortsAfterAll(order, [unit.orderKey]));
  // Name the unit that runs last: one without order, else the greatest order.
  const unordered = blocking.find((unit) => !hasText(unit.orderKey[0] ?? ''));
  if (unordered !== undefined) {
    return new CliError(
      'USAGE',
      `Order '${order}' would not run last: ${unordered.label} has no order, and a unit without order runs after every unit with one. Nothing was written.`,
      {
        hint: 'Give that unit (or its ChangeLog) an order, or pass --allow-confusing-ordering.',
      },
    );
  }
  const last = blocking.reduce((max, unit) => (unit.orderKey.join('\0') > max.orderKey.join('\0') ? unit : max));
  return new CliError(
    'USAGE',
    `Order '${order}' would not run last: it sorts before ${last.label} (order '${last.orderKey.filter(Boolean).join('/')}'), so it would run first on a fresh database. Nothing was written.`,
    { hint: 'Pass a later --order, or --allow-confusing-ordering to write it anyway.' },
  );
}

/** Orders are free text; the file name keeps only what is safe in a path. */
function safeFilePart(order: string): string {
  return order.replace(/[^A-Za-z0-9._-]+/g, '-');
}

function safeUser(): string {
  try {
    return userInfo().username || 'default_author';
  } catch {
    return 'default_author';
  }
}
