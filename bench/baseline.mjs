// The floor for a start-up: open the database and read the history, nothing else.
import { performance } from 'node:perf_hooks';

const started = performance.now();
const { default: Database } = await import('better-sqlite3');
const db = new Database(process.argv[2]);
const rows = db.prepare('SELECT * FROM mongockChangeLog').all();
db.close();
if (rows.length < 1000) throw new Error('history not prepared');
process.stdout.write(`${performance.now() - started}\n`);
