import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresChangeContext, postgresDriver, tableSource } from '../../src/drivers/postgres/index.ts';
import { batched, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { countedPgClient } from '../support/count-statements.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_URL } from '../support/servers.ts';

// A batch's checkpoint is an EXECUTE of an upsert the session PREPAREd once. Prepared statements
// belong to the server session, not to the run: a connection the caller gives again (or a pool
// gives back) already has it, and a change may remove it. Both are counted here by what each row
// received: every row updated exactly once, and the checkpoint where the batches left it.

const ROWS = 25;
const SIZE = 10;

describe('PostgreSQL: the prepared checkpoint upsert and the session that holds it', () => {
  let db: PostgresTestSchema;
  let client: pg.Client;
  const sent: string[] = [];
  beforeAll(async () => {
    db = await createTestSchema('mongock_pcp');
    client = await countedPgClient(POSTGRES_URL, (text) => sent.push(text));
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  async function freshItems(table: string): Promise<void> {
    await db.admin.query(`CREATE TABLE ${db.table(table)} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
    await db.admin.query(`INSERT INTO ${db.table(table)} (id) SELECT generate_series(1, ${ROWS})`);
  }

  function unitOver(table: string, id: string, beforeBatch?: (context: PostgresChangeContext, batch: number) => Promise<void>) {
    let batch = 0;
    return defineChangeUnit<PostgresChangeContext>({
      id,
      order: id,
      author: 'pcp',
      execute: batched<{ id: number }, PostgresChangeContext>({
        source: tableSource({ table: `${db.schema}.${table}`, columns: ['id'] }),
        size: SIZE,
        async apply(rows, context) {
          await beforeBatch?.(context, ++batch);
          await context.sql.query(`UPDATE ${db.table(table)} SET n = n + 1 WHERE id = ANY($1::int[])`, [rows.map((row) => row.id)]);
        },
      }),
      rollback: async () => {},
    });
  }

  const run = (unit: ReturnType<typeof unitOver>) =>
    new MongockBuilder<PostgresChangeContext>()
      .setDriver(postgresDriver({ client: client as never, schema: db.schema }))
      .setLogger(silentLogger)
      .addChangeUnits(unit)
      .buildRunner()
      .execute();

  async function markers(table: string) {
    return (await db.admin.query(`SELECT n, count(*)::int AS c FROM ${db.table(table)} GROUP BY n ORDER BY n`)).rows;
  }

  it('a second run on the same connection finds the statement already prepared and uses it', async () => {
    await freshItems('first');
    await freshItems('second');
    expect((await run(unitOver('first', '001'))).executed).toBe(1);
    sent.length = 0;
    expect((await run(unitOver('second', '002'))).executed).toBe(1);
    // Its PREPARE was refused (42P05, the same name is the same text); the CREATE went once more alone.
    expect(sent.filter((text) => text.startsWith('CREATE TABLE IF NOT EXISTS') && text.includes('_checkpoints'))).toHaveLength(2);
    expect(sent.filter((text) => /EXECUTE mongock_checkpoint_/.test(text))).toHaveLength(Math.ceil(ROWS / SIZE));
    expect(await markers('first')).toEqual([{ n: 1, c: ROWS }]);
    expect(await markers('second')).toEqual([{ n: 1, c: ROWS }]);
  });

  it('a change that deallocates it fails its batch with DRIVER_ERROR; the next run resumes after the last checkpoint', async () => {
    await freshItems('third');
    const deallocating = unitOver('third', '003', async ({ client: raw }, batch) => {
      if (batch === 2) await raw.query('DEALLOCATE ALL');
    });
    await expect(run(deallocating)).rejects.toMatchObject({
      code: 'CHANGE_FAILED',
      cause: { code: 'DRIVER_ERROR', message: expect.stringMatching(/prepared statement mongock_checkpoint_\w+ was removed.*run again/) },
    });
    const { rows } = await db.admin.query(
      `SELECT batches::int, processed::int, state FROM ${db.table('mongock_change_log_checkpoints')} WHERE change_id = '003'`,
    );
    expect(rows).toEqual([{ batches: 1, processed: SIZE, state: 'running' }]);
    expect(await markers('third')).toEqual([
      { n: 0, c: ROWS - SIZE },
      { n: 1, c: SIZE },
    ]);
    expect((await run(unitOver('third', '003'))).executed).toBe(1);
    expect(await markers('third')).toEqual([{ n: 1, c: ROWS }]);
  });
});
