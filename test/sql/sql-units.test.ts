import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver } from '../../src/drivers/driver.ts';
import { mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_URL } from '../support/servers.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';
import { failure, useScanDir } from './sql-unit-support.ts';

const scan = useScanDir('mongock-sql-units-');
const { write, runner } = scan;
/** Every message of an error and its causes, for "says which statement failed". */
const messages = (error: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
};

describe('.sql change units on PostgreSQL', () => {
  let db: PostgresTestSchema;
  let driver: () => Driver<object>;
  beforeEach(async () => {
    db = await createTestSchema('mongock_sql');
    driver = () => postgresDriver({ connectionString: POSTGRES_URL, schema: db.schema }) as never;
  });
  afterEach(() => db.drop());
  const rows = async (sql: string) => (await db.admin.query(sql)).rows;

  const FIRST = (s: string) => `-- mongock: author=ana
-- a comment; with a semicolon, and 'quotes;'
CREATE TABLE ${s}.items (id serial PRIMARY KEY, name text NOT NULL, note text DEFAULT 'a;b', touched int NOT NULL DEFAULT 0);
/* a block comment; with a semicolon */
CREATE FUNCTION ${s}.touch() RETURNS trigger AS $$
BEGIN
  NEW.touched := NEW.touched + 1; -- a semicolon; in the body
  NEW.note := NEW.note || ';';
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER items_touch BEFORE INSERT ON ${s}.items FOR EACH ROW EXECUTE FUNCTION ${s}.touch();
INSERT INTO ${s}.items (name) VALUES ('x;y'), ('it''s; fine');
-- mongock:rollback
DROP TABLE ${s}.items;
DROP FUNCTION ${s}.touch();
`;

  it('runs a multi-statement file with a $$ function, a trigger, comments and literals containing ;', async () => {
    write('001_create_items.sql', FIRST(db.schema));
    const result = await runner(driver()).execute();
    expect(result.executed).toBe(1);
    expect(await rows(`SELECT name, note, touched FROM ${db.schema}.items ORDER BY id`)).toEqual([
      { name: 'x;y', note: 'a;b;', touched: 1 },
      { name: "it's; fine", note: 'a;b;', touched: 1 },
    ]);
    const history = await rows(`SELECT change_id, author, state FROM ${db.schema}.mongock_change_log`);
    expect(history).toEqual([{ change_id: '001_create_items', author: 'ana', state: 'EXECUTED' }]);
    // Run again: nothing re-runs.
    expect((await runner(driver()).execute()).executed).toBe(0);
  });

  it('rolls the whole unit back when a statement in the middle fails, and names that statement', async () => {
    write('001_create_items.sql', FIRST(db.schema));
    write(
      '002_more.sql',
      `CREATE TABLE ${db.schema}.extra (id int);\nINSERT INTO ${db.schema}.items (name) VALUES ('two');\nINSERT INTO ${db.schema}.missing VALUES (1);\nINSERT INTO ${db.schema}.items (name) VALUES ('three');\n`,
    );
    const error = await failure(runner(driver()).execute());
    expect(error.code).toBe('CHANGE_FAILED');
    expect(messages(error)).toMatch(
      /Statement 3 of 4 \(line 3\) of the statements of SQL change unit '002_more' \(.*002_more\.sql\) failed: relation .*missing.* does not exist/,
    );
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(await rows(`SELECT name FROM ${db.schema}.items ORDER BY id`)).toEqual([{ name: 'x;y' }, { name: "it's; fine" }]);
    expect(await rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${db.schema}' AND table_name = 'extra'`)).toEqual([]);
  });

  it('runs a transactional=false file outside a transaction (CREATE INDEX CONCURRENTLY)', async () => {
    write('001_create_items.sql', FIRST(db.schema));
    write('002_index.sql', `-- mongock: transactional=false\nCREATE INDEX CONCURRENTLY items_name ON ${db.schema}.items (name);\n`);
    expect((await runner(driver()).execute()).executed).toBe(2);
    expect(await rows(`SELECT indexname FROM pg_indexes WHERE schemaname = '${db.schema}' AND indexname = 'items_name'`)).toEqual([
      { indexname: 'items_name' },
    ]);
  });

  it('keeps the checksum under whitespace and comment edits; a real edit is a change', async () => {
    write('001_create_items.sql', FIRST(db.schema));
    await runner(driver()).execute();
    const reformatted = FIRST(db.schema)
      .replace('-- a comment; with a semicolon', '-- another comment entirely')
      .replace('id serial PRIMARY KEY, name text', 'id   serial  PRIMARY KEY,\n   name text')
      .replace('$$ LANGUAGE plpgsql;', () => '$$ LANGUAGE plpgsql ;\n\n/* added */');
    write('001_create_items.sql', reformatted);
    expect((await runner(driver()).execute()).status).toBe('up-to-date');
    write('001_create_items.sql', FIRST(db.schema).replace("VALUES ('x;y')", "VALUES ('x;z')"));
    const error = await failure(runner(driver()).execute());
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.changeId).toBe('001_create_items');
  });

  it('undo runs the sibling *.rollback.sql', async () => {
    write('001_create_items.sql', `CREATE TABLE ${db.schema}.items (id int);\n`);
    write('001_create_items.rollback.sql', `DROP TABLE ${db.schema}.items;\n`);
    await runner(driver()).execute();
    await runner(driver()).undo({ last: 1 });
    expect(await rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${db.schema}' AND table_name = 'items'`)).toEqual([]);
  });
});

describe('.sql change units on MariaDB', () => {
  let db: MysqlTestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('mongock_sql');
  });
  afterEach(() => db.drop());
  const driver = () => mysqlDriver({ uri: db.uri }) as never;

  it('runs DELIMITER procedures and triggers, comments and literals containing ; (transactional=false for DDL)', async () => {
    write(
      '001_schema.sql',
      `-- mongock: author=ana transactional=false
CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, note VARCHAR(50) DEFAULT 'a;b') ENGINE=InnoDB; -- trailing; comment
DELIMITER //
CREATE PROCEDURE add_two(IN prefix VARCHAR(20))
BEGIN
  INSERT INTO items (name) VALUES (CONCAT(prefix, ';1'));
  INSERT INTO items (name) VALUES (CONCAT(prefix, ';2'));
END //
CREATE TRIGGER items_note BEFORE INSERT ON items FOR EACH ROW
BEGIN
  SET NEW.note = CONCAT(NEW.note, ';');
END //
DELIMITER ;
CALL add_two('p');
-- mongock:rollback
DROP TABLE IF EXISTS items;
DROP PROCEDURE IF EXISTS add_two;
`,
    );
    expect((await runner(driver()).execute()).executed).toBe(1);
    expect(await db.rows(`SELECT name, note FROM ${db.table('items')} ORDER BY id`)).toEqual([
      { name: 'p;1', note: 'a;b;' },
      { name: 'p;2', note: 'a;b;' },
    ]);
  });

  it('runs the rollback section when a DDL statement in the middle fails', async () => {
    write(
      '001_schema.sql',
      `-- mongock: transactional=false
CREATE TABLE first_table (id INT);
CREATE TABLE second_table (id INT NOT A TYPE);
CREATE TABLE third_table (id INT);
-- mongock:rollback
DROP TABLE IF EXISTS first_table;
`,
    );
    const error = await failure(runner(driver()).execute());
    expect(messages(error)).toMatch(/Statement 2 of 3 \(line 3\) of the statements of SQL change unit '001_schema'/);
    const tables = await db.rows<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE '%_table'`,
      [db.database],
    );
    expect(tables).toEqual([]);
    const [entry] = await db.rows<{ state: string }>(
      `SELECT state FROM ${db.table('mongock_change_log')} WHERE change_id = '001_schema' ORDER BY id DESC LIMIT 1`,
    );
    expect(entry?.state).toBe('ROLLED_BACK');
  });

  it('rolls back a transactional file of DML whose middle statement fails; refuses DDL in a transactional file', async () => {
    await db.admin.query(`CREATE TABLE ${db.table('items')} (name VARCHAR(50) NOT NULL) ENGINE=InnoDB`);
    write('001_rows.sql', `INSERT INTO items VALUES ('one');\nINSERT INTO items VALUES (NULL);\n`);
    await failure(runner(driver()).execute());
    expect(await db.rows(`SELECT name FROM ${db.table('items')}`)).toEqual([]);
    rmSync(join(scan.path(), '001_rows.sql'));
    write('001_ddl.sql', `INSERT INTO items VALUES ('one');\nCREATE TABLE other (id INT);\n`);
    const error = await failure(runner(driver()).execute());
    expect(messages(error)).toMatch(/CREATE statements implicitly/);
    expect(await db.rows(`SELECT name FROM ${db.table('items')}`)).toEqual([]);
  });
});

describe('.sql change units on SQLite', () => {
  let file: { filename: string; cleanup: () => void };
  let direct: Database.Database;
  beforeEach(() => {
    file = tempSqliteFile();
    direct = new Database(file.filename);
  });
  afterEach(() => {
    direct.close();
    file.cleanup();
  });
  const driver = () => sqliteDriver({ filename: file.filename }) as never;

  const SCHEMA = `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT DEFAULT 'a;b');
CREATE TABLE audit (item INTEGER, what TEXT);
-- the trigger's body has semicolons; it is one statement
CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN
  INSERT INTO audit VALUES (NEW.id, 'insert;');
  UPDATE items SET note = note || ';' WHERE id = NEW.id;
END;
INSERT INTO items (name) VALUES ('x;y');
`;

  it('runs a trigger with BEGIN ... END and literals containing ;', async () => {
    write('001_schema.sql', SCHEMA);
    expect((await runner(driver()).execute()).executed).toBe(1);
    expect(direct.prepare('SELECT name, note FROM items').all()).toEqual([{ name: 'x;y', note: 'a;b;' }]);
    expect(direct.prepare('SELECT what FROM audit').all()).toEqual([{ what: 'insert;' }]);
  });

  it('rolls the whole unit back (DDL included) when a statement in the middle fails', async () => {
    write('001_schema.sql', SCHEMA);
    write('002_more.sql', `CREATE TABLE extra (id INTEGER);\nINSERT INTO items (name) VALUES ('two');\nINSERT INTO nowhere VALUES (1);\n`);
    const error = await failure(runner(driver()).execute());
    expect(messages(error)).toMatch(/Statement 3 of 3 \(line 3\) .* '002_more' .*no such table: nowhere/);
    expect(direct.prepare('SELECT name FROM items').all()).toEqual([{ name: 'x;y' }]);
    expect(direct.prepare(`SELECT name FROM sqlite_master WHERE name = 'extra'`).all()).toEqual([]);
  });

  it('runs a transactional=false file outside a transaction (VACUUM)', async () => {
    write('001_schema.sql', SCHEMA);
    write('002_vacuum.sql', '-- mongock: transactional=false\nVACUUM;\n');
    expect((await runner(driver()).execute()).executed).toBe(2);
    write('003_vacuum_in_tx.sql', 'VACUUM;\n');
    const error = await failure(runner(driver()).execute());
    expect(messages(error)).toMatch(/cannot VACUUM from within a transaction/);
  });

  it('keeps the checksum under whitespace and comment edits; a real edit is a change', async () => {
    write('001_schema.sql', SCHEMA);
    await runner(driver()).execute();
    write(
      '001_schema.sql',
      `/* header comment */\n${SCHEMA.replace('UPDATE items SET note', '  UPDATE   items\n     SET note').replace(', what TEXT', ',what TEXT')}`,
    );
    expect((await runner(driver()).execute()).status).toBe('up-to-date');
    write('001_schema.sql', SCHEMA.replace("'insert;'", "'inserted;'"));
    expect((await failure(runner(driver()).execute())).code).toBe('CHECKSUM_MISMATCH');
  });
});

describe('.sql change units: bad input is refused before anything runs', () => {
  let file: { filename: string; cleanup: () => void };
  beforeEach(() => {
    file = tempSqliteFile();
  });
  afterEach(() => file.cleanup());
  const tables = () => {
    const direct = new Database(file.filename);
    try {
      return direct.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'first'`).all();
    } finally {
      direct.close();
    }
  };

  it.each([
    ['002_bad.sql', '-- mongock: author=ana transactionl=false\nSELECT 1;\n', /unknown header entry 'transactionl=false'/],
    ['002_bad.sql', '-- mongock: transactional=no\nSELECT 1;\n', /header 'transactional' must be true or false; got 'no'/],
    ['nonumber.sql', 'SELECT 1;\n', /its name gives no order; name it <order>_<name>\.sql/],
    ['002_bad.sql', '-- only a comment; nothing else\n', /it has no SQL statement to run/],
    ['002_bad.sql', '-- mongock: recovery=sometimes\nSELECT 1;\n', /header 'recovery' must be one of/],
  ])('%s with %j', async (name, text, problem) => {
    write('001_first.sql', 'CREATE TABLE first (id INTEGER);\n');
    write(name, text);
    const error = await failure(runner(sqliteDriver({ filename: file.filename }) as never).execute());
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.message).toMatch(problem);
    expect(error.file).toBe(join(scan.path(), name));
    expect(error.changeId).toBe(name.slice(0, -4));
    expect(error.message).toContain(join(scan.path(), name));
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(tables()).toEqual([]);
  });

  it('refuses a rollback section next to a sibling *.rollback.sql', async () => {
    write('001_first.sql', 'CREATE TABLE first (id INTEGER);\n-- mongock:rollback\nDROP TABLE first;\n');
    write('001_first.rollback.sql', 'DROP TABLE first;\n');
    const error = await failure(runner(sqliteDriver({ filename: file.filename }) as never).execute());
    expect(error.message).toMatch(/has a -- mongock:rollback section and a sibling 001_first\.rollback\.sql; keep one of them/);
    expect(tables()).toEqual([]);
  });

  it('the header sets id, order, author, runAlways and profiles', async () => {
    write('001_first.sql', '-- mongock: id=create-first order=7 author=bo profiles=!prod\nCREATE TABLE first (id INTEGER);\n');
    write('002_always.sql', '-- mongock: runAlways=true\nCREATE TABLE IF NOT EXISTS always (id INTEGER);\n');
    const report = await runner(sqliteDriver({ filename: file.filename }) as never).validate();
    expect(report.units.map((unit) => [unit.changeId, unit.order, unit.author])).toEqual([
      ['002_always', '002', 'default_author'],
      ['create-first', '7', 'bo'],
    ]);
    const first = await runner(sqliteDriver({ filename: file.filename }) as never).execute();
    const second = await runner(sqliteDriver({ filename: file.filename }) as never).execute();
    expect(first.executed).toBe(2);
    expect(second.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['002_always']);
  });
});
