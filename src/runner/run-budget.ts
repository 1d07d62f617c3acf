/** How long batched units may work in one `execute()`: from `startedAt`, `maxRunMs` (default the config's); `stopRequested` ends it at the next batch boundary. */
export interface RunBudget {
  /** On the config's clock (`clock.now()`). */
  readonly startedAt?: number;
  readonly maxRunMs?: number;
  readonly stopRequested?: () => boolean;
}
