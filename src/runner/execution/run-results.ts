import type { ItemOutcome, ItemResult } from '../migration-result.ts';
import type { PlanItem } from '../plan.ts';
import type { RunContext } from './run-context.ts';

/** What happened to each item of a run, in order; every change is announced as `unit-finished`. */
export class RunResults {
  readonly #run: RunContext;
  readonly #items: ItemResult[] = [];

  constructor(run: RunContext) {
    this.#run = run;
  }

  get items(): readonly ItemResult[] {
    return this.#items;
  }

  record(item: PlanItem, outcome: ItemOutcome, durationMs: number, error?: unknown, reason?: ItemResult['reason']): void {
    this.push(itemResult(item, outcome, durationMs, error, reason));
  }

  push(result: ItemResult): void {
    this.#items.push(result);
    this.#run.events.emit('unit-finished', { item: result });
  }

  /** A rollback settles an item: its reported outcome changes (or is added, for undo and recovery). */
  settle(item: PlanItem, outcome: ItemOutcome, durationMs: number, error?: unknown): void {
    const index = this.#items.findLastIndex((r) => r.changeId === item.changeId && r.author === item.unit.author);
    const previous = this.#items[index];
    const next = itemResult(item, outcome, previous?.durationMs ?? durationMs, error ?? previous?.error);
    if (index === -1) this.#items.push(next);
    else this.#items[index] = next;
    this.#run.events.emit('unit-finished', { item: next });
  }
}

export function itemResult(item: PlanItem, outcome: ItemOutcome, durationMs: number, error?: unknown, reason?: ItemResult['reason']): ItemResult {
  return Object.freeze({
    changeId: item.changeId,
    author: item.unit.author,
    type: item.type,
    outcome,
    durationMs: Math.round(durationMs),
    ...(reason === undefined ? {} : { reason }),
    ...(error === undefined ? {} : { error }),
  });
}
