import { recordedChecksum } from '../../change/file-token.ts';
import { errorMessage, errorStack } from '../../errors/mongock-error.ts';
import type { ChangeState, NewChangeEntry } from '../../history/change-entry.ts';
import type { PlanItem } from '../plan.ts';
import { inScope, type RunContext } from './run-context.ts';

/** The history entry of one item in this run (the driver stamps its time). `method` defaults to the item's own step. */
export function entryFor(
  run: RunContext,
  item: PlanItem,
  state: ChangeState,
  executionMillis: number,
  errorTrace: string | null,
  method = item.step.name,
  executionId = run.executionId,
): NewChangeEntry {
  return {
    executionId,
    changeId: item.changeId,
    author: item.unit.author,
    state,
    type: item.type,
    changeLogClass: item.unit.model.className,
    changeSetMethod: method,
    metadata: Object.keys(run.config.metadata).length === 0 ? null : run.config.metadata,
    executionMillis,
    executionHostname: run.hostname,
    errorTrace,
    systemChange: false,
    checksum: recordedChecksum(item.unit.model, item.checksum),
  };
}

/** Java Mongock's errorTrace: a JSON string with the execution error and the rollback error, when there are. */
export function errorTrace(executionError: unknown, rollbackError?: unknown): string {
  const body: Record<string, string> = {};
  if (executionError !== undefined) body['execution-error'] = errorStack(executionError);
  if (rollbackError !== undefined) body['rollback-error'] = errorStack(rollbackError);
  return JSON.stringify(body);
}

/**
 * Writes an entry outside any transaction (a FAILED entry must survive the rolled-back one).
 * A failure to record never hides the original error, unless `strict`.
 */
export async function saveOutside(run: RunContext, entry: NewChangeEntry, strict = false): Promise<void> {
  try {
    await inScope(run, false, (scope) => scope.saveEntry(entry));
  } catch (error) {
    if (strict) throw error;
    run.config.logger.error(`Could not record ${entry.state} for '${entry.changeId}': ${errorMessage(error)}`);
  }
}
