import { runDriverTestkit } from '../../src/drivers/testkit/index.ts';
import { postgresHarness } from '../support/postgres-harness.ts';

runDriverTestkit(postgresHarness);
