#!/usr/bin/env node
// Is the server at <url> the test FerretDB, and does it work? Exit 0: it reports a FerretDB
// version and a write in a scratch database succeeded. 1: it answered but is not FerretDB or the
// write failed (the reason on stderr). 4: cannot tell (the clone has no `mongodb` package yet).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBE_DATABASE = 'mongock_probe';
const TIMEOUT_MS = 3_000;
const url = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let MongoClient;
try {
  ({ MongoClient } = createRequire(join(root, 'package.json'))('mongodb'));
} catch {
  process.exit(4);
}

const client = new MongoClient(url, { serverSelectionTimeoutMS: TIMEOUT_MS, connectTimeoutMS: TIMEOUT_MS, socketTimeoutMS: TIMEOUT_MS });
try {
  await client.connect();
  const info = await client.db('admin').command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion !== 'string') throw new Error(`the server is MongoDB ${info.version}, not FerretDB`);
  const probes = client.db(PROBE_DATABASE).collection('probe');
  const { insertedId } = await probes.insertOne({ at: new Date(), pid: process.pid });
  await probes.deleteOne({ _id: insertedId });
  await client.close();
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  await client.close().catch(() => undefined);
  process.exit(1);
}
