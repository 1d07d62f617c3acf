import { runDriverTestkit } from '../../src/drivers/testkit/index.ts';
import { mysqlHarness } from '../support/mysql-harness.ts';

runDriverTestkit(mysqlHarness);
