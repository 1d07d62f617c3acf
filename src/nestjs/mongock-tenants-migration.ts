import type { MultiTenantBackground, TenantInBackground } from '../tenants/tenants-background.ts';

/**
 * What `MongockTenantsModule`'s background run is doing: `idle` (no `background: true`, or its
 * start-up hook has not run), `running`, `stopping` (the application is shutting down: the
 * tenant being worked on ends at its next batch boundary), `finished` (see each tenant's state) or
 * `failed` (the tenants could not be listed; see `error`).
 */
export type MongockTenantsMigrationState = 'idle' | 'running' | 'stopping' | 'finished' | 'failed';

/** A handle's run, and what the handle reports of it. */
interface Tracked {
  readonly run: MultiTenantBackground;
  stopping: boolean;
  over?: 'finished' | 'failed';
  error?: unknown;
}

const runs = new WeakMap<MongockTenantsMigration, Tracked>();

/**
 * `MongockTenantsModule`'s background run (`background: true`), injectable by this class: each
 * tenant's state while the application serves, for a health check or a readiness probe, and a
 * way to await the end of the batched work. The tenants run one after the other.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common';
 * import { MongockTenantsMigration } from 'mongock/nestjs';
 *
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly migration: MongockTenantsMigration) {}
 *   @Get() health() {
 *     return { migration: this.migration.state, tenants: this.migration.tenants.map(({ tenant, state }) => ({ tenant, state })) };
 *   }
 * }
 * ```
 */
export class MongockTenantsMigration {
  get state(): MongockTenantsMigrationState {
    const tracked = runs.get(this);
    if (tracked === undefined) return 'idle';
    return tracked.over ?? (tracked.stopping ? 'stopping' : 'running');
  }

  /** Each tenant's state, in list order (empty while `idle` or before the tenants are listed). */
  get tenants(): readonly TenantInBackground[] {
    return runs.get(this)?.run.tenants() ?? [];
  }

  /** Why the run failed (the tenants could not be listed); undefined otherwise. */
  get error(): unknown {
    return runs.get(this)?.error;
  }

  /** Every tenant's end state once the background work is over or stopped (rejects when the tenants could not be listed: `state` `failed`); undefined while `idle`. */
  get done(): Promise<readonly TenantInBackground[]> | undefined {
    return runs.get(this)?.run.done;
  }

  /**
   * Stops at the tenant's next batch boundary (checkpoint saved, lock released), starts no other
   * tenant, and waits; the next start resumes. Never rejects. The module calls it at shutdown.
   */
  async stop(): Promise<void> {
    const tracked = runs.get(this);
    if (tracked === undefined || tracked.over !== undefined) return;
    tracked.stopping = true;
    await tracked.run.stop();
  }
}

/** Attaches `run` to `migration` (once); its state follows the run. */
export function trackTenants(migration: MongockTenantsMigration, run: MultiTenantBackground): void {
  if (runs.has(migration)) return;
  const tracked: Tracked = { run, stopping: false };
  runs.set(migration, tracked);
  run.done.then(
    () => {
      tracked.over = 'finished';
    },
    (error: unknown) => {
      tracked.over = 'failed';
      tracked.error = error;
    },
  );
}
