/** How long batched units may work in one `execute()`: from `startedAt`, `maxRunMs` (default the config's); `stopRequested` ends it at the next batch boundary. */
export interface RunBudget {
  /** On the config's clock (`clock.now()`). */
  readonly startedAt?: number;
  readonly maxRunMs?: number;
  readonly stopRequested?: () => boolean;
  /**
   * A background slice after the first: the item (its `changeId` and `author`) the slice before
   * stopped in progress at. Its unit and those after it are in scope; the units ordered before it
   * were settled by an earlier slice of the same run (see `resumedScope`).
   */
  readonly resumeAt?: { readonly changeId: string; readonly author: string };
}
