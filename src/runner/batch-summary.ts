import type { BatchStatus } from './batch-status.ts';

/** "41% (410 / 1,000), 41 batches, last key 409" (no share without an estimate), for `status` and `doctor`. */
export function batchSummary(batch: BatchStatus): string {
  const count = (n: number) => n.toLocaleString('en');
  const { processed, estimatedTotal: total, batches, lastKey } = batch;
  const share = total === null || total === 0 ? '' : `${Math.min(100, Math.floor((processed / total) * 100))}% `;
  const done = total === null ? `${count(processed)} done` : `(${count(processed)} / ${count(total)})`;
  return `${share}${done}, ${count(batches)} batch${batches === 1 ? '' : 'es'}${lastKey === null ? '' : `, last key ${lastKey}`}`;
}
