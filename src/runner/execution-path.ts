// Everything a runner operation needs beyond a start-up with nothing pending, loaded on first use
// by one `import()` of this module. One module, not one `import()` per file: the bundler makes a
// chunk of every set of entry points that reach a module, so each separate `import()` split the
// start-up's own modules into more files, and loading a file costs more than the bytes it saves
// (docs/performance.md).
export { acceptChecksum } from './accept-checksum.ts';
export { readCheckpoints, undoPlans } from './batch-status.ts';
export { diagnose, doctorInput } from './doctor/diagnose.ts';
export { Executor } from './execution/executor.ts';
export { readLegacyRows } from './legacy-peers.ts';
export { loadUnits } from './load-units.ts';
export { markContext, runMark } from './mark.ts';
export { checkMarkOptions } from './mark-options.ts';
export { migrateLoaded } from './migrate.ts';
export { planUnits } from './plan.ts';
export { readStatus } from './read-status.ts';
export { scopeUnits, selectForUndo } from './targets.ts';
export { unitStatuses } from './unit-status.ts';
