export type { DriverFixture, DriverHarness } from './driver-harness.ts';
export { runCheckpointTestkit } from './run-checkpoint-testkit.ts';
export { runDriverTestkit } from './run-driver-testkit.ts';
export { runOperationsTestkit } from './run-operations-testkit.ts';
