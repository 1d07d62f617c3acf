import type { Language, ModuleKind } from './project.ts';

export type UnitStyle = 'decorator' | 'define';

export interface TemplateValues {
  readonly id: string;
  readonly order: string;
  readonly author: string;
  readonly className: string;
}

const DECORATOR_TS = `import { ChangeUnit, type DefaultChangeContext, Execution, RollbackExecution } from 'mongock';

@ChangeUnit({ id: '{{id}}', order: '{{order}}', author: '{{author}}' })
export class {{className}} {
  @Execution()
  async execute(context: DefaultChangeContext): Promise<void> {
    context.log.info('TODO: apply {{id}}');
  }

  @RollbackExecution()
  async rollback(context: DefaultChangeContext): Promise<void> {
    context.log.info('TODO: undo {{id}}');
  }
}
`;

const DEFINE_BODY = `defineChangeUnit({
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

const DEFINE_ESM = `import { defineChangeUnit } from 'mongock';

export default ${DEFINE_BODY};
`;

const DEFINE_CJS = `const { defineChangeUnit } = require('mongock');

module.exports = ${DEFINE_BODY};
`;

/** The built-in change unit template; users replace it with `.mongock/templates/change-unit.<ext>` or `--template`. */
export function builtInUnitTemplate(language: Language, module: ModuleKind, style: UnitStyle): string {
  if (language === 'ts') return style === 'decorator' ? DECORATOR_TS : DEFINE_ESM;
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
