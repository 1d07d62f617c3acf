import { performance } from 'node:perf_hooks';
import type { BatchProgress, ItemResult, MongockRunner } from '../index.ts';
import type { Output } from './output.ts';
import { formatDuration } from './table.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Off a terminal, a batched unit prints one line every this many batches (and its last). */
export const BATCH_LINE_EVERY = 10;
const BAR_WIDTH = 20;

/** `41% (410,000 / 1,000,000)` or `410,000 done` without an estimate; the rate and the ETA when known. */
export function batchProgressText(progress: BatchProgress, bar = false): string {
  const { processed, estimatedTotal, ratePerSecond, etaMs } = progress;
  const count = (n: number) => n.toLocaleString('en-US');
  const rate = ratePerSecond > 0 ? `, ${count(Math.round(ratePerSecond))}/s` : '';
  const eta = etaMs === undefined || progress.done ? '' : `, ETA ${formatDuration(etaMs)}`;
  if (estimatedTotal === undefined || estimatedTotal <= 0) return `${count(processed)} done in ${progress.batches} batches${rate}`;
  const share = Math.min(1, processed / estimatedTotal);
  const filled = Math.round(share * BAR_WIDTH);
  const shown = bar ? `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ` : '';
  return `${shown}${Math.floor(share * 100)}% (${count(processed)} / ${count(estimatedTotal)})${rate}${eta}`;
}

/** How an outcome reads, and its colour. */
export function outcomeLabel(out: Output, outcome: ItemResult['outcome']): string {
  const { colors } = out;
  switch (outcome) {
    case 'executed':
      return colors.green('✔ executed');
    case 'rolled-back':
      return colors.yellow('↺ rolled back');
    case 'recovered':
      return colors.yellow('↺ recovered (a crashed run left it half-done: rolled back, applied again)');
    case 'skipped':
      return colors.dim('- skipped');
    case 'ignored':
      return colors.dim('- ignored');
    case 'in-progress':
      return colors.yellow('⏸ in progress (time budget reached; the next run resumes it)');
    default:
      return colors.red(`✘ ${outcome}`);
  }
}

/**
 * Shows a run as it happens. On a terminal: one live line per unit (spinner and elapsed time),
 * replaced by its outcome when it finishes. Elsewhere: one plain line per event. Nothing in
 * `--json` or `--quiet` mode. Returns a function that stops it.
 */
export function showProgress(runner: MongockRunner, out: Output): () => void {
  if (out.flags.json || out.flags.quiet) return () => {};
  const live = out.interactive;
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  const clear = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    if (live) out.raw('\r\u001b[2K');
  };
  const spin = (label: () => string) => {
    clear();
    const started = performance.now();
    const draw = () => {
      frame = (frame + 1) % FRAMES.length;
      out.raw(`\r\u001b[2K${out.colors.cyan(FRAMES[frame]!)} ${label()} ${out.colors.dim(formatDuration(performance.now() - started))}`);
    };
    draw();
    timer = setInterval(draw, 80);
    timer.unref();
  };
  const offs = [
    runner.on('lock-waiting', ({ holder, waitedMs }) => {
      if (live) spin(() => `waiting for the lock${holder === null ? '' : ` held by ${holder}`}`);
      else out.print(`waiting for the lock${holder === null ? '' : ` held by ${holder}`} (${formatDuration(waitedMs)} so far)`);
    }),
    runner.on('lock-acquired', () => {
      if (live) clear();
      else out.print('lock acquired');
    }),
    runner.on('unit-started', ({ changeId }) => {
      if (live) spin(() => changeId);
      else out.print(`running ${changeId}`);
    }),
    runner.on('batch-progress', (progress) => {
      const what = progress.direction === 'rollback' ? `rolling back ${progress.changeId}` : progress.changeId;
      if (live) spin(() => `${what} ${batchProgressText(progress, true)}`);
      else if (progress.done || progress.batches % BATCH_LINE_EVERY === 0) out.print(`${what}: batch ${progress.batches}, ${batchProgressText(progress)}`);
    }),
    runner.on('unit-finished', ({ item }) => {
      if (item.outcome === 'skipped' && !out.flags.verbose) return;
      clear();
      const reason = item.error instanceof Error ? `: ${item.error.message}` : '';
      if (live) out.print(`${outcomeLabel(out, item.outcome)} ${item.changeId} ${out.colors.dim(formatDuration(item.durationMs))}${reason}`);
      else out.print(`${item.outcome} ${item.changeId} (${formatDuration(item.durationMs)})${reason}`);
    }),
  ];
  return () => {
    clear();
    for (const off of offs) off();
  };
}
