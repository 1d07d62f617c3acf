import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresChangeContext, postgresDriver, tableSource } from '../../src/drivers/postgres/index.ts';
import { batched, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_URL } from '../support/servers.ts';

// On PostgreSQL a batch's checkpoint travels as literal SQL text in the COMMIT's query (no
// parameters in a multi-statement query). Keys with quotes, backslashes and non-ASCII text must
// come back exactly: a mangled key would skip or repeat rows on resume.

const KEYS = ['plain', "it's", 'back\\slash', "both\\'", "E'x", '"quoted"', 'ünïcødé', 'tab\there', "'; DROP TABLE items; --"];

describe('PostgreSQL: checkpoint keys written as literals', () => {
  let db: PostgresTestSchema;
  beforeAll(async () => {
    db = await createTestSchema('mongock_cpt');
    await db.admin.query(`CREATE TABLE ${db.table('items')} (k text COLLATE "C" PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
    for (const key of KEYS) await db.admin.query(`INSERT INTO ${db.table('items')} (k) VALUES ($1)`, [key]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('resumes after every key, one batch per start, and stores each key as its JSON text', async () => {
    const unit = defineChangeUnit<PostgresChangeContext>({
      id: 'text-keys',
      order: '001',
      author: 'data',
      // Past the budget after the first batch of every start: each start resumes from the stored key.
      maxRunMs: 1,
      execute: batched<{ k: string }, PostgresChangeContext>({
        source: tableSource({ table: `${db.schema}.items`, key: 'k', columns: ['k'] }),
        size: 1,
        async apply(batch, { sql }) {
          await sql.query(`UPDATE ${db.table('items')} SET n = n + 1 WHERE k = $1`, [batch[0]!.k]);
        },
      }),
      rollback: async () => {},
    });
    const lastKeys: string[] = [];
    let status = '';
    for (let start = 0; start < KEYS.length + 2 && status !== 'completed'; start++) {
      const result = await new MongockBuilder<PostgresChangeContext>()
        .setDriver(postgresDriver({ connectionString: POSTGRES_URL, schema: db.schema }))
        .setLogger(silentLogger)
        .addChangeUnits(unit)
        .buildRunner()
        .execute();
      status = result.status;
      const { rows } = await db.admin.query(`SELECT last_key FROM ${db.table('mongock_change_log_checkpoints')}`);
      lastKeys.push(rows[0].last_key);
    }
    expect(status).toBe('completed');
    const { rows } = await db.admin.query(`SELECT k, n FROM ${db.table('items')} ORDER BY k COLLATE "C"`);
    expect(rows).toEqual([...KEYS].sort().map((k) => ({ k, n: 1 })));
    // Every stored key is the JSON text of a real key, and the last one is the greatest.
    for (const text of lastKeys) expect(KEYS).toContain(JSON.parse(text));
    expect(JSON.parse(lastKeys.at(-1)!)).toBe([...KEYS].sort().at(-1));
    expect(await db.admin.query(`SELECT count(*)::int AS c FROM ${db.table('items')}`)).toMatchObject({ rows: [{ c: KEYS.length }] });
  });
});
