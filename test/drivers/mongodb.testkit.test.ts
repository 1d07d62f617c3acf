import { describe, it } from 'vitest';
import { runDriverTestkit } from '../../src/drivers/testkit/index.ts';
import { mongoHarness } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';

runDriverTestkit(mongoHarness(FERRETDB_URL, 'mongodb (FerretDB, standalone: no transactions)'));

const replicaSet = process.env.MONGODB_URI;
if (replicaSet === undefined) {
  console.warn('MONGODB_URI is not set: the MongoDB driver testkit on a real replica set (transactions) is skipped.');
  describe.skip('driver testkit: mongodb (real MongoDB replica set, MONGODB_URI)', () => {
    it('needs MONGODB_URI', () => {});
  });
} else {
  runDriverTestkit(mongoHarness(replicaSet, 'mongodb (MONGODB_URI replica set)'));
}
