import type { OptionSpecs } from './command.ts';

/** Flags every command accepts. */
export const COMMON_OPTIONS: OptionSpecs = Object.freeze({
  config: { type: 'string', short: 'c', value: '<file>', description: 'Config file (default: mongock.config.{ts,mts,cts,js,mjs,cjs,json} found upward)' },
  profile: { type: 'string', multiple: true, short: 'p', value: '<name>', description: 'Active profile; repeat for several (overrides MONGOCK_PROFILES)' },
  tenant: {
    type: 'string',
    multiple: true,
    short: 't',
    value: '<id>',
    description: 'Multi-tenant config: work on this tenant (one: exactly as on a single database); repeat for several',
  },
  json: { type: 'boolean', description: 'Print exactly one JSON document on stdout; logs go to stderr' },
  quiet: { type: 'boolean', short: 'q', description: 'Print only results and errors' },
  verbose: { type: 'boolean', short: 'v', description: "Also print the runner's info and debug logs (stderr)" },
  'no-color': { type: 'boolean', description: 'No colours (also: NO_COLOR=1)' },
  help: { type: 'boolean', short: 'h', description: 'Show help for the command' },
});
