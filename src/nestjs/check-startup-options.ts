import { MongockError } from '../errors/mongock-error.ts';
import type { MongockStartupHook } from './mongock-options.ts';

/** The start-up options both Nest modules take (`MongockModule`, `MongockTenantsModule`). */
interface StartupOptions {
  readonly runOnStartup?: boolean;
  readonly startupHook?: MongockStartupHook;
  readonly background?: boolean;
}

/** Which module is checked, where its options came from (for the fix), and its own boolean options. */
interface StartupOptionsOwner {
  readonly module: 'MongockModule' | 'MongockTenantsModule';
  readonly factory: string;
  readonly booleans?: readonly string[];
}

const STARTUP_HOOKS: readonly string[] = ['onModuleInit', 'onApplicationBootstrap'];

/**
 * Refuses a Nest module's bad start-up options before anything runs: `INVALID_CONFIG`, one
 * problem per bad option, each naming the option, the value and what it accepts. Both modules
 * call it, so a value one refuses the other refuses the same way (the types alone do not stop a
 * `useFactory` or a config file that hands over `'yes'`).
 */
export function checkStartupOptions(options: StartupOptions | null | undefined, owner: StartupOptionsOwner): void {
  if (typeof options !== 'object' || options === null) {
    throw new MongockError('INVALID_CONFIG', `${owner.module} needs an options object; got ${String(options)}. Check what ${owner.factory} returns.`);
  }
  const values = options as Readonly<Record<string, unknown>>;
  const problems: string[] = [];
  for (const name of ['runOnStartup', 'background', ...(owner.booleans ?? [])]) {
    if (values[name] !== undefined && typeof values[name] !== 'boolean')
      problems.push(`Option '${name}' must be true or false; got ${JSON.stringify(values[name])}.`);
  }
  if (options.startupHook !== undefined && !STARTUP_HOOKS.includes(options.startupHook)) {
    problems.push(`Option 'startupHook' must be 'onApplicationBootstrap' or 'onModuleInit'; got ${JSON.stringify(options.startupHook)}.`);
  }
  if (problems.length > 0) throw new MongockError('INVALID_CONFIG', `Invalid ${owner.module} options:\n  - ${problems.join('\n  - ')}`, { problems });
}
