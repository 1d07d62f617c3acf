export type { DriverFixture, DriverHarness } from './driver-harness.ts';
export { runDriverTestkit } from './run-driver-testkit.ts';
