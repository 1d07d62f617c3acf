import type { BatchRunner } from './batch-runner.ts';
import type { ChangeInvoker } from './change-invoker.ts';
import type { CrashMarker } from './crash-marker.ts';
import type { RunContext } from './run-context.ts';
import type { RunResults } from './run-results.ts';

/** What running one item and rolling one back both use: the run, the invoker, the results and the crash marker of one execution. */
export interface StepTools {
  readonly run: RunContext;
  readonly invoker: ChangeInvoker;
  readonly results: RunResults;
  readonly marker: CrashMarker;
  readonly batches: BatchRunner;
}
