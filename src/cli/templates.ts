import type { Language, ModuleKind } from './project.ts';

export type UnitStyle = 'decorator' | 'define';

export interface TemplateValues {
  readonly id: string;
  readonly order: string;
  readonly author: string;
  readonly className: string;
}

/** The context type a TypeScript unit's methods receive: the configured driver's, else the default. */
export interface ContextType {
  readonly name: string;
  /** `import type { name } from module`; undefined when it comes from 'mongock' itself. */
  readonly module: string | undefined;
}

const DEFAULT_CONTEXT: ContextType = { name: 'DefaultChangeContext', module: undefined };
const DRIVER_CONTEXTS: Readonly<Record<DriverType, ContextType>> = {
  sqlite: { name: 'SqliteChangeContext', module: 'mongock/sqlite' },
  mongodb: { name: 'MongoChangeContext', module: 'mongock/mongodb' },
  postgres: { name: 'PostgresChangeContext', module: 'mongock/postgres' },
  mysql: { name: 'MysqlChangeContext', module: 'mongock/mysql' },
};

/** The context type for a driver name (`Driver.name`), the default one for another driver or none. */
export function contextTypeFor(driverName: unknown): ContextType {
  return typeof driverName === 'string' && Object.hasOwn(DRIVER_CONTEXTS, driverName) ? DRIVER_CONTEXTS[driverName as DriverType] : DEFAULT_CONTEXT;
}

function imports(fromMongock: readonly string[], context: ContextType): string {
  if (context.module === undefined) return `import { ${[...fromMongock, `type ${context.name}`].sort(byName).join(', ')} } from 'mongock';\n`;
  return `import { ${fromMongock.join(', ')} } from 'mongock';\nimport type { ${context.name} } from '${context.module}';\n`;
}

const byName = (a: string, b: string): number => a.replace(/^type /, '').localeCompare(b.replace(/^type /, ''));

const decoratorTs = (context: ContextType): string => `${imports(['ChangeUnit', 'Execution', 'RollbackExecution'], context)}
@ChangeUnit({ id: '{{id}}', order: '{{order}}', author: '{{author}}' })
export class {{className}} {
  @Execution()
  async execute(context: ${context.name}): Promise<void> {
    context.log.info('TODO: apply {{id}}');
  }

  @RollbackExecution()
  async rollback(context: ${context.name}): Promise<void> {
    context.log.info('TODO: undo {{id}}');
  }
}
`;

const defineBody = (typeArgument: string): string => `defineChangeUnit${typeArgument}({
  id: '{{id}}',
  order: '{{order}}',
  author: '{{author}}',
  async execute(context) {
    context.log.info('TODO: apply {{id}}');
  },
  async rollback(context) {
    context.log.info('TODO: undo {{id}}');
  },
})`;

const defineTs = (
  context: ContextType,
): string => `${context.module === undefined ? "import { defineChangeUnit } from 'mongock';\n" : imports(['defineChangeUnit'], context)}
export default ${defineBody(context.module === undefined ? '' : `<${context.name}>`)};
`;

const DEFINE_ESM = `import { defineChangeUnit } from 'mongock';

export default ${defineBody('')};
`;

const DEFINE_CJS = `const { defineChangeUnit } = require('mongock');

module.exports = ${defineBody('')};
`;

/**
 * The built-in change unit template; users replace it with `.mongock/templates/change-unit.<ext>`
 * or `--template`. TypeScript ones type the context as the configured driver's.
 */
export function builtInUnitTemplate(language: Language, module: ModuleKind, style: UnitStyle, context: ContextType = DEFAULT_CONTEXT): string {
  if (language === 'ts') return style === 'decorator' ? decoratorTs(context) : defineTs(context);
  return module === 'esm' ? DEFINE_ESM : DEFINE_CJS;
}

/** Fills `{{id}}`, `{{order}}`, `{{author}}`, `{{className}}`. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{\{\s*(id|order|author|className)\s*\}\}/g, (_match, key: keyof TemplateValues) => values[key]);
}

export type DriverType = 'sqlite' | 'mongodb' | 'postgres' | 'mysql';

const DRIVER_IMPORT: Readonly<Record<DriverType, readonly [factory: string, call: string]>> = {
  sqlite: ['sqliteDriver', "sqliteDriver({ filename: 'mongock.db' })"],
  mongodb: ['mongoDriver', "mongoDriver({ uri: process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017', databaseName: 'app' })"],
  postgres: ['postgresDriver', "postgresDriver({ connectionString: process.env.DATABASE_URL ?? 'postgres://localhost:5432/app' })"],
  mysql: ['mysqlDriver', "mysqlDriver({ uri: process.env.DATABASE_URL ?? 'mysql://localhost:3306/app' })"],
};

export type ConfigFormat = 'ts' | 'mjs' | 'cjs' | 'json';

/** The `mongock.config.*` that `mongock init` writes. */
export function configTemplate(format: ConfigFormat, driver: DriverType, migrationsDir: string): string {
  const [factory, call] = DRIVER_IMPORT[driver];
  const body = `defineConfig({
  driver: ${call},
  migrationScanPath: './${migrationsDir}',
})`;
  if (format === 'json') {
    // `${NAME}` in a JSON config reads the environment variable NAME.
    const ref = (name: string): string => `\${${name}}`;
    const options: Record<DriverType, Record<string, string>> = {
      sqlite: { filename: 'mongock.db' },
      mongodb: { uri: ref('MONGODB_URI'), databaseName: 'app' },
      postgres: { connectionString: ref('DATABASE_URL') },
      mysql: { uri: ref('DATABASE_URL') },
    };
    return `${JSON.stringify({ driver: { type: driver, ...options[driver] }, migrationScanPath: `./${migrationsDir}` }, null, 2)}\n`;
  }
  if (format === 'cjs') {
    return `const { defineConfig } = require('mongock');
const { ${factory} } = require('mongock/${driver}');

module.exports = ${body};
`;
  }
  return `import { defineConfig } from 'mongock';
import { ${factory} } from 'mongock/${driver}';

export default ${body};
`;
}
