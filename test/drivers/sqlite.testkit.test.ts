import { runDriverTestkit } from '../../src/drivers/testkit/index.ts';
import { sqliteHarness } from '../support/sqlite-harness.ts';

runDriverTestkit(sqliteHarness);
