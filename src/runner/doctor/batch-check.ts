import { batchSummary } from '../batch-summary.ts';
import type { DoctorCheck, Finding } from './doctor-check.ts';

/** Batched units started and not finished: the next run resumes them after their checkpoint. */
export const unfinishedBatches: DoctorCheck = {
  name: 'unfinished-batches',
  description: 'batched units whose batches started and did not finish (stopped at a time budget, killed, or a batch failed)',
  run({ units }) {
    const findings: Finding[] = [];
    for (const { status } of units) {
      const { batch } = status;
      if (batch === null || !batch.inProgress) continue;
      const when = `last checkpoint ${batch.updatedAt.toISOString()} by execution ${batch.executionId}`;
      const base = { check: this.name, changeId: status.changeId, author: status.author, severity: 'warning' as const };
      if (batch.direction === 'rollback')
        findings.push({
          ...base,
          message: `The batched rollback of '${status.changeId}' by '${status.author}' is in progress: ${batchSummary(batch)} (${when}). The unit stays executed until it finishes.`,
          fix: [`mongock undo --to ${status.changeId} (resumes the rollback after its checkpoint)`],
        });
      else
        findings.push({
          ...base,
          message: `Batched unit '${status.changeId}' by '${status.author}' is in progress: ${batchSummary(batch)} (${when}). Until it finishes its change is half applied.`,
          fix: [
            'mongock migrate (resumes after the checkpoint; --max-run-ms bounds one run)',
            `or mongock undo --to ${status.changeId} (rolls back what its batches applied, up to the checkpoint)`,
          ],
        });
    }
    return findings;
  },
};
