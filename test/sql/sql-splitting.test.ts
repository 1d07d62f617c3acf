import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/change/sql/split-sql.ts';
import { mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_URL } from '../support/servers.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';
import { failure, useScanDir } from './sql-unit-support.ts';

// Each script is split, then every statement runs on the real server: a wrong split is a syntax
// error or a wrong row. Every statement inserts one row, so the row count is the statement count.

const { write, runner } = useScanDir('mongock-sql-split-');
const failureCode = async (promise: Promise<unknown>): Promise<string> => (await failure(promise)).code;

describe('splitting on PostgreSQL: comments and literals by its own rules', () => {
  let db: PostgresTestSchema;
  beforeEach(async () => {
    db = await createTestSchema('mongock_split');
    await db.admin.query(`CREATE TABLE ${db.schema}.t (n serial PRIMARY KEY, v text)`);
  });
  afterEach(() => db.drop());

  const script = (s: string) => `-- a comment; with a quote's
INSERT INTO ${s}.t (v) VALUES (E'escaped \\'quote\\'; one');
INSERT INTO ${s}.t (v) VALUES (e'backslash at the end\\\\');
/* outer comment; /* nested; with a quote's */ still the outer comment; */
INSERT INTO ${s}.t (v) VALUES ('standard \\'); -- a backslash is plain in a standard string
INSERT INTO ${s}.t (v) VALUES ('doubled ''quote''; two');
CREATE FUNCTION ${s}.semi() RETURNS text AS $body$
BEGIN
  RETURN 'in $$ a body; with a quote''s'; -- ; here
END;
$body$ LANGUAGE plpgsql;
INSERT INTO ${s}.t (v) VALUES (${s}.semi());
INSERT INTO ${s}.t (v) VALUES ($$dollar; 'quoted' -- not a comment$$);
INSERT INTO ${s}."t" (v) VALUES (U&'unicode\\0041; escape');
-- trailing comment; with a quote's
`;

  const EXPECTED = [
    "escaped 'quote'; one",
    'backslash at the end\\',
    'standard \\',
    "doubled 'quote'; two",
    "in $$ a body; with a quote's",
    "dollar; 'quoted' -- not a comment",
    'unicodeA; escape',
  ];

  it('splits E strings, nested comments, dollar quotes, -- comments and standard strings as the server reads them', async () => {
    const statements = splitStatements(script(db.schema), 'postgres');
    expect(statements.map((statement) => statement.line)).toEqual([2, 3, 5, 6, 7, 12, 13, 14]);
    for (const statement of statements) await db.admin.query(statement.text);
    expect((await db.admin.query(`SELECT v FROM ${db.schema}.t ORDER BY n`)).rows.map((row) => row.v)).toEqual(EXPECTED);
  });

  it('runs the same file as a .sql unit', async () => {
    write('001_rows.sql', script(db.schema));
    const result = await runner(postgresDriver({ connectionString: POSTGRES_URL, schema: db.schema }) as never).execute();
    expect(result.executed).toBe(1);
    expect((await db.admin.query(`SELECT v FROM ${db.schema}.t ORDER BY n`)).rows.map((row) => row.v)).toEqual(EXPECTED);
  });
});

describe('splitting on MariaDB: # comments, backslash escapes, DELIMITER and executed comments', () => {
  let db: MysqlTestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('mongock_split');
    await db.admin.query(`CREATE TABLE ${db.table('t')} (n INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB`);
  });
  afterEach(() => db.drop());

  const SCRIPT = `# a hash comment; with a quote's
INSERT INTO t (v) VALUES ('backslash \\'quote\\'; one'); # trailing; comment
INSERT INTO t (v) VALUES ("double \\"quote\\"; two");
INSERT INTO t (v) VALUES ('doubled ''quote''; three');
INSERT INTO t (v) VALUES (CONCAT('minus ', 5--1)); -- 5--1 is 6: MySQL's -- needs a space
INSERT INTO \`t\` (v) VALUES ('back\`tick; four');
/* block comment; with a quote's */
/*!40101 INSERT INTO t (v) VALUES ('executed; comment') */;
DELIMITER //
CREATE PROCEDURE add_row(IN what VARCHAR(50))
BEGIN
  # a hash comment; inside the body
  INSERT INTO t (v) VALUES (CONCAT(what, '; it\\'s in a procedure')); -- ; too
END //
DELIMITER ;
CALL add_row('called');
`;

  const EXPECTED = [
    "backslash 'quote'; one",
    'double "quote"; two',
    "doubled 'quote'; three",
    'minus 6',
    'back`tick; four',
    'executed; comment',
    "called; it's in a procedure",
  ];

  it('splits as the mysql client does, and each statement runs', async () => {
    const statements = splitStatements(SCRIPT, 'mysql');
    expect(statements.map((statement) => statement.line)).toEqual([2, 3, 4, 5, 6, 8, 10, 16]);
    const connection = await db.admin.getConnection();
    try {
      await connection.query(`USE \`${db.database}\``);
      for (const statement of statements) await connection.query(statement.text);
    } finally {
      connection.release();
    }
    expect((await db.rows<{ v: string }>(`SELECT v FROM ${db.table('t')} ORDER BY n`)).map((row) => row.v)).toEqual(EXPECTED);
  });

  it('runs the same file as a .sql unit; an edit inside /*! */ is drift, an edit of a # or /* */ comment is not', async () => {
    const driver = () => mysqlDriver({ uri: db.uri }) as never;
    write('001_rows.sql', `-- mongock: transactional=false\n${SCRIPT}`);
    expect((await runner(driver()).execute()).executed).toBe(1);
    expect((await db.rows<{ v: string }>(`SELECT v FROM ${db.table('t')} ORDER BY n`)).map((row) => row.v)).toEqual(EXPECTED);

    const commentsEdited = SCRIPT.replace("# a hash comment; with a quote's", '#   another hash comment')
      .replace('# trailing; comment', '# edited')
      .replace("/* block comment; with a quote's */", '/* edited */')
      .replace('-- ; too', '-- edited');
    write('001_rows.sql', `-- mongock: transactional=false\n${commentsEdited}`);
    expect((await runner(driver()).execute()).status).toBe('up-to-date');

    write('001_rows.sql', `-- mongock: transactional=false\n${SCRIPT.replace("'executed; comment'", "'executed; edited'")}`);
    expect(await failureCode(runner(driver()).execute())).toBe('CHECKSUM_MISMATCH');
    write('001_rows.sql', `-- mongock: transactional=false\n${SCRIPT.replace('/*!40101 ', '/*!50000 ')}`);
    expect(await failureCode(runner(driver()).execute())).toBe('CHECKSUM_MISMATCH');
  });
});

describe('splitting on SQLite: [...] and `...` identifiers, BEGIN ... END', () => {
  it('splits and runs', async () => {
    const file = tempSqliteFile();
    try {
      write(
        '001_rows.sql',
        `CREATE TABLE [odd;name] (n INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE \`log;table\` (v TEXT);
CREATE TRIGGER copy AFTER INSERT ON [odd;name] BEGIN
  INSERT INTO \`log;table\` VALUES (NEW.v || '; copied'); -- ; in a trigger
END;
/* a comment; with a quote's */
INSERT INTO [odd;name] (v) VALUES ('it''s; one');
INSERT INTO "odd;name" (v) VALUES ('back\\slash; two');
`,
      );
      expect((await runner(sqliteDriver({ filename: file.filename }) as never).execute()).executed).toBe(1);
      const direct = new Database(file.filename);
      expect(direct.prepare('SELECT v FROM [odd;name] ORDER BY n').all()).toEqual([{ v: "it's; one" }, { v: 'back\\slash; two' }]);
      expect(direct.prepare('SELECT v FROM `log;table`').all()).toEqual([{ v: "it's; one; copied" }, { v: 'back\\slash; two; copied' }]);
      direct.close();
    } finally {
      file.cleanup();
    }
  });
});
