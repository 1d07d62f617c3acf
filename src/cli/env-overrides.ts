import { CliError } from './cli-error.ts';

type Kind = 'string' | 'boolean' | 'list' | 'number' | 'policy';

/** `MONGOCK_*` variables and the config option each one overrides (flags override them in turn). */
export const ENV_OVERRIDES: Readonly<Record<string, readonly [option: string, kind: Kind]>> = Object.freeze({
  MONGOCK_PROFILES: ['activeProfiles', 'list'],
  MONGOCK_ENABLED: ['enabled', 'boolean'],
  MONGOCK_MIGRATION_SCAN_PATH: ['migrationScanPath', 'list'],
  MONGOCK_MIGRATION_REPOSITORY_NAME: ['migrationRepositoryName', 'string'],
  MONGOCK_LOCK_REPOSITORY_NAME: ['lockRepositoryName', 'string'],
  MONGOCK_TRANSACTIONAL: ['transactional', 'boolean'],
  MONGOCK_TRACK_IGNORED: ['trackIgnored', 'boolean'],
  MONGOCK_THROW_EXCEPTION_IF_CANNOT_OBTAIN_LOCK: ['throwExceptionIfCannotObtainLock', 'boolean'],
  MONGOCK_START_SYSTEM_VERSION: ['startSystemVersion', 'string'],
  MONGOCK_END_SYSTEM_VERSION: ['endSystemVersion', 'string'],
  MONGOCK_SERVICE_IDENTIFIER: ['serviceIdentifier', 'string'],
  MONGOCK_DEFAULT_AUTHOR: ['defaultAuthor', 'string'],
  MONGOCK_ON_CHECKSUM_MISMATCH: ['onChecksumMismatch', 'policy'],
  MONGOCK_LOCK_ACQUIRED_FOR_MS: ['lockConfig.acquiredForMs', 'number'],
  MONGOCK_LOCK_TRY_FREQUENCY_MS: ['lockConfig.tryFrequencyMs', 'number'],
  MONGOCK_LOCK_QUIT_TRYING_AFTER_MS: ['lockConfig.quitTryingAfterMs', 'number'],
});

function parse(name: string, raw: string, kind: Kind): unknown {
  const fail = (expected: string) => new CliError('CONFIG', `Environment variable ${name}=${JSON.stringify(raw)} must be ${expected}.`);
  switch (kind) {
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw fail('true or false');
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw fail('a number of milliseconds');
      return value;
    }
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'policy':
      if (raw === 'warn' || raw === 'fail' || raw === 'ignore') return raw;
      throw fail("'warn', 'fail' or 'ignore'");
    default:
      return raw;
  }
}

/** The config with every set `MONGOCK_*` variable applied. Returns a new object. */
export function applyEnvOverrides(config: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...config };
  for (const [name, [option, kind]] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = parse(name, raw, kind);
    if (option.startsWith('lockConfig.')) {
      const base = typeof next.lockConfig === 'object' && next.lockConfig !== null ? next.lockConfig : {};
      next.lockConfig = { ...base, [option.slice('lockConfig.'.length)]: value };
    } else {
      next[option] = value;
    }
  }
  return next;
}
