import type { Batched } from '../../change/batched.ts';
import { entryKey } from '../../change/change-key.ts';
import type { Scope } from '../../drivers/driver.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import { monotonicNow } from '../../runtime/monotonic-now.ts';
import type { PlanItem } from '../plan.ts';
import { advance, checkpointOf, freshCheckpoint, isResumable, keyCodec, pauseAfter, progressOf, requireCheckpoints } from './batch-checkpoints.ts';
import { entryFor, errorTrace, saveOutside } from './entries.ts';
import { inScope, throwIfLockLost } from './run-context.ts';

/** What batches need of a run's tools (`StepTools` without the results, which the step runner records). */
export interface BatchTools {
  readonly run: RunContext;
  readonly invoker: ChangeInvoker;
  readonly marker: CrashMarker;
  /** The history read under the lock (a batched step's checkpoint is settled by an entry in it). */
  readonly history: () => Promise<readonly ChangeEntry[]>;
  /** The checkpoints the operation found (the store made and read once per operation, not per unit). */
  readonly checkpoints: () => Promise<readonly BatchCheckpoint[]>;
}

import type { ChangeInvoker } from './change-invoker.ts';
import type { CrashMarker } from './crash-marker.ts';
import type { RunContext } from './run-context.ts';

/** What a batched execute step returns when it stopped at its time budget with work left. */
export const UNFINISHED: unique symbol = Symbol('batches-unfinished');

/** One pass over a batched step's source, from a checkpoint to the end or to the deadline. */
interface Pass {
  readonly item: PlanItem;
  readonly step: Batched<never>;
  readonly stepName: string;
  readonly transactional: boolean;
  readonly deadline: number;
  /** The history entry written with the last batch (EXECUTED, ROLLED_BACK). */
  readonly entry: () => NewChangeEntry;
}

/**
 * Runs `batched()` steps: each batch (read after the checkpoint, apply, save the checkpoint) in
 * one driver scope, so on a transactional connection the batch's writes and its checkpoint commit
 * together, fenced by the lease. Without transactions the checkpoint is written right after the
 * batch: a crash in between re-runs that one batch. The history gets one entry, with the last batch.
 */
export class BatchRunner {
  readonly #tools: BatchTools;
  /** The checkpoints this operation wrote, by unit: newer than the ones read (a recovered unit's rollback, then its execution). */
  readonly #written = new Map<string, BatchCheckpoint>();

  constructor(tools: BatchTools) {
    this.#tools = tools;
  }

  /**
   * Runs (or resumes) a batched execute step. Returns undefined when it completed (EXECUTED),
   * {@link UNFINISHED} when it stopped at its time budget, or the error of a failed batch
   * (recorded FAILED; the batches before it stay, and the next run resumes after them).
   */
  async execute(item: PlanItem, transactional: boolean, started: number): Promise<unknown> {
    const { run, marker } = this.#tools;
    const step = item.step.batched!;
    requireCheckpoints(run, item);
    const previous = await this.#checkpointOf(item);
    const start = isResumable(await this.#tools.history(), previous, 'execute') ? previous! : freshCheckpoint(run, item, 'execute', null);
    if (start !== previous && previous?.state === 'running')
      run.config.logger.warn(`Change '${item.changeId}': its checkpoint (${previous.direction}) is not resumable; starting the batches from the beginning.`);
    if (start === previous) run.config.logger.info(`Change '${item.changeId}': resuming after batch ${start.batches} (${start.processed} done).`);
    const maxRunMs = item.unit.model.maxRunMs;
    const deadline = Math.min(run.deadline, maxRunMs === undefined ? Number.POSITIVE_INFINITY : run.config.clock.now() + maxRunMs);
    if (!transactional) await marker.set(item, run.executionId, 'execute');
    let finished: boolean;
    try {
      const entry = () => entryFor(run, item, 'EXECUTED', Math.round(monotonicNow() - started), null);
      finished = await this.#pass({ item, step, stepName: item.step.name, transactional, deadline, entry }, start);
    } catch (error) {
      throwIfLockLost(error, run.lock, 'execute');
      const failure = error ?? new Error('a batch threw a nullish value');
      await saveOutside(run, entryFor(run, item, 'FAILED', -1, errorTrace(failure)));
      // Nothing is rolled back: the committed batches stay, and the next run resumes after them.
      await marker.clear();
      return failure;
    }
    if (!transactional) await marker.clear();
    return finished ? undefined : UNFINISHED;
  }

  /**
   * A batched rollback (undo): over every key, or, for a half-done unit, up to its execute
   * checkpoint; resumes an interrupted rollback. Records ROLLED_BACK with the last batch. Throws
   * what a batch threw.
   */
  async rollback(item: PlanItem, transactional: boolean, entry: () => NewChangeEntry): Promise<void> {
    const { run } = this.#tools;
    const step = item.rollback!.batched!;
    requireCheckpoints(run, item);
    const previous = await this.#checkpointOf(item);
    const history = await this.#tools.history();
    let start: BatchCheckpoint;
    if (isResumable(history, previous, 'rollback')) start = previous!;
    else {
      const halfDone = isResumable(history, previous, 'execute') ? previous! : undefined;
      if (halfDone !== undefined && halfDone.lastKey === null) {
        // Started, no batch done: nothing to take back.
        await inScope(run, transactional, async (scope) => {
          await scope.saveEntry(entry());
          await this.#save(scope, { ...freshCheckpoint(run, item, 'rollback', null), state: 'done' });
        });
        return;
      }
      start = freshCheckpoint(run, item, 'rollback', halfDone?.lastKey ?? null);
    }
    await this.#pass({ item, step, stepName: item.rollback!.name, transactional, deadline: Number.POSITIVE_INFINITY, entry }, start);
  }

  async #checkpointOf(item: PlanItem): Promise<BatchCheckpoint | undefined> {
    return this.#written.get(entryKey(item.changeId, item.unit.author)) ?? checkpointOf(await this.#tools.checkpoints(), item);
  }

  async #save(scope: Scope<object>, checkpoint: BatchCheckpoint): Promise<void> {
    if (scope.saveCheckpoint === undefined) throw new Error('The driver scope has no saveCheckpoint although its connection has a checkpoint store.');
    await scope.saveCheckpoint(checkpoint);
    this.#written.set(entryKey(checkpoint.changeId, checkpoint.author), checkpoint);
  }

  /** Batches until the source is exhausted (true) or the deadline passed at a batch boundary (false). */
  async #pass(pass: Pass, start: BatchCheckpoint): Promise<boolean> {
    const { run, invoker } = this.#tools;
    const { item, step, transactional } = pass;
    const codec = keyCodec(step);
    const until = start.untilKey === null ? undefined : codec.decode(start.untilKey);
    const { clock } = run.config;
    const began = clock.now();
    let checkpoint = start;
    let processedHere = 0;
    for (;;) {
      // inScope renews the lease when due and stops a holder that lost it, between batches.
      const batchStarted = clock.now();
      const done = await inScope(run, transactional, async (scope) => {
        let estimated = checkpoint.estimatedTotal;
        let items: readonly unknown[] = [];
        await invoker.call(item, scope, pass.stepName, async (context) => {
          if (checkpoint.batches === 0 && estimated === null && step.source.estimate !== undefined)
            estimated = (await step.source.estimate(context as never)) ?? null;
          const after = checkpoint.lastKey === null ? undefined : codec.decode(checkpoint.lastKey);
          items = await step.source.read(context as never, after, step.size, until);
          if (items.length > 0) await step.apply(items, context as never);
        });
        const last = items.length < step.size;
        const lastKey = items.length > 0 ? codec.encode(step.source.keyOf(items[items.length - 1])) : null;
        const next = advance(run, checkpoint, items.length, lastKey, estimated);
        if (transactional) {
          await this.#save(scope, last ? { ...next, state: 'done' } : next);
          if (last) await scope.saveEntry(pass.entry());
        } else {
          // The entry before `done`: a crash in between leaves a running checkpoint of this execution next to its entry, which reads as finished.
          await this.#save(scope, next);
          if (last) {
            await scope.saveEntry(pass.entry());
            await this.#save(scope, { ...next, state: 'done' });
          }
        }
        return { next, last, count: items.length };
      });
      checkpoint = done.next;
      processedHere += done.count;
      if (run.events.listens('batch-progress')) run.events.emit('batch-progress', progressOf(item, checkpoint, processedHere, clock.now() - began, done.last));
      if (done.last) return true;
      const pause = pauseAfter(step, clock.now() - batchStarted);
      if (clock.now() + pause >= pass.deadline || run.stopRequested()) return false;
      if (pause > 0) await clock.sleep(pause);
    }
  }
}
