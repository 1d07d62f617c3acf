import { runDriverTestkit } from '../../src/drivers/testkit/index.ts';
import { memoryHarness } from '../support/memory-harness.ts';

// The reference driver passes the suite every real driver passes, both ways it can be deployed.
runDriverTestkit(memoryHarness(true));
runDriverTestkit(memoryHarness(false));
