import { BeforeExecution, ChangeUnit, Execution, RollbackBeforeExecution, RollbackExecution } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

/** A change unit class: the table in the before-step, the data in the (transactional) execution. */
@ChangeUnit({ id: 'create-clients', order: '001', author: 'examples' })
export class CreateClients {
  @BeforeExecution()
  async createTable({ sql }: SqliteChangeContext) {
    await sql.exec('CREATE TABLE IF NOT EXISTS clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT)');
  }

  @RollbackBeforeExecution()
  async dropTable({ sql }: SqliteChangeContext) {
    await sql.exec('DROP TABLE IF EXISTS clients');
  }

  @Execution()
  async insertClients({ sql }: SqliteChangeContext) {
    for (const name of ['Ada', 'Grace', 'Linus']) await sql.run('INSERT INTO clients (name) VALUES (?)', name);
  }

  @RollbackExecution()
  async deleteClients({ sql }: SqliteChangeContext) {
    await sql.run('DELETE FROM clients');
  }
}
