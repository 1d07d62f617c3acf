import { ChangeLog, ChangeSet } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

/** The legacy Mongock 3/4 form: a ChangeLog class whose methods are ChangeSets. */
@ChangeLog({ order: '002' })
export class ClientIndexes {
  @ChangeSet({ id: 'index-client-names', author: 'examples', order: '001' })
  async indexNames({ sql }: SqliteChangeContext) {
    await sql.exec('CREATE INDEX IF NOT EXISTS clients_name ON clients (name)');
  }
}
