import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type DashboardSource, DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, type RunningDashboard, startDashboard } from '../dashboard/index.ts';
import { type MongockConfig, multiTenantRunner } from '../index.ts';
import { CliError } from './cli-error.ts';
import type { Command, CommandContext } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';

const DASHBOARD_HELP = 'See `mongock dashboard --help`.';

import { loadConfig } from './open-runner.ts';

/** `mongock dashboard`: serves the read-only dashboard for the config until interrupted. */
export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'Serve a read-only web dashboard of the history, the lock and pending units',
  usage: 'dashboard [--port <n>] [--host <address>] [--open] [--token <token>] [--allow-actions] [--database <name>=<config>]... [options]',
  description:
    `Listens on ${DEFAULT_DASHBOARD_HOST}:${DEFAULT_DASHBOARD_PORT} until Ctrl-C; any other host than loopback needs a token (--token or\n` +
    'MONGOCK_DASHBOARD_TOKEN): open the page once as <url>?token=<token>. JSON API under /api, Prometheus metrics at /metrics.\n' +
    '--allow-actions (needs the token) adds "Unlock now" (`mongock unlock --force`) and "Mark applied / rolled back" (`mongock mark`,\n' +
    'recorded in the history with the reason asked for). --database, repeated, shows several configs (environments, tenants) side by side.\n' +
    'Docs: docs/dashboard.md',
  options: {
    port: { type: 'string', value: '<n>', description: `Port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)` },
    host: { type: 'string', value: '<address>', description: `Address to bind (default ${DEFAULT_DASHBOARD_HOST}); beyond loopback a token is required` },
    open: { type: 'boolean', description: 'Open the page in the default browser ($BROWSER, else xdg-open/open/start)' },
    token: { type: 'string', value: '<token>', description: 'Require this token (16+ characters; also MONGOCK_DASHBOARD_TOKEN)' },
    'allow-actions': { type: 'boolean', description: 'Allow clearing the lock and marking units from the page (needs the token)' },
    database: {
      type: 'string',
      multiple: true,
      value: '<name>=<config>',
      description: 'Show this config file under this name; repeat for several databases (instead of --config)',
    },
  },
  examples: [
    'mongock dashboard',
    'mongock dashboard --port 8080 --open',
    'mongock dashboard --database eu=config/eu.config.ts --database us=config/us.config.ts',
    'MONGOCK_DASHBOARD_TOKEN=$(openssl rand -hex 24) mongock dashboard --host 0.0.0.0',
  ],
  async run(context) {
    const { values, io, out } = context;
    const source = await dashboardSource(context);
    const token = (values.token as string | undefined) ?? (io.env.MONGOCK_DASHBOARD_TOKEN || undefined);
    const dashboard = await startDashboard(source, {
      host: values.host as string | undefined,
      port: parsePort(values.port as string | undefined),
      token,
      allowActions: values['allow-actions'] === true,
      logger: out.logger(),
      redact: (text) => out.redact(text),
    });
    out.print(`Mongock dashboard: ${dashboard.url}`);
    out.info(
      `${token === undefined ? 'No token' : 'Token required (open the page once with ?token=<token>)'}; ${values['allow-actions'] === true ? 'actions enabled' : 'read-only'}. Press Ctrl-C to stop.`,
    );
    if (values.open === true) openBrowser(context, dashboard.url);
    await untilInterrupted(dashboard);
    out.json({ command: 'dashboard', ok: true, url: dashboard.url });
    return EXIT_CODES.ok;
  },
};

/** The one config every command finds, or with `--database name=file` (repeated) one named entry per config file. */
async function dashboardSource(context: CommandContext): Promise<DashboardSource> {
  const entries = (context.values.database as readonly string[] | undefined) ?? [];
  if (entries.length === 0) {
    const loaded = await loadConfig(context);
    if (loaded.multiTenant === undefined) return loaded.config as unknown as MongockConfig;
    // Every tenant of a multi-tenant config is a database of its own: one card each.
    const tenants = await multiTenantRunner(loaded.multiTenant).tenantConfigs();
    return { databases: tenants.map(({ tenant, config }) => ({ name: tenant.id, config })) };
  }
  if (context.values.config !== undefined)
    throw new CliError('USAGE', '--config and --database do not go together: give every config as --database <name>=<file>.', { hint: DASHBOARD_HELP });
  const start = context.io.cwd;
  const databases = [];
  for (const entry of entries) {
    const match = /^([A-Za-z0-9._-]+)=(.+)$/.exec(entry);
    if (match === null)
      throw new CliError('USAGE', `--database takes <name>=<config file> (name of letters, digits, '.', '_', '-'); got '${entry}'.`, { hint: DASHBOARD_HELP });
    const [, name, file] = match as unknown as [string, string, string];
    // Named from where the command started (loading a config moves the process to its folder).
    const loaded = await loadConfig({ ...context, values: { ...context.values, config: resolve(start, file) } });
    databases.push({ name, config: loaded.config as unknown as MongockConfig });
  }
  return { databases };
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65_535)
    throw new CliError('USAGE', `--port must be a number from 0 to 65535; got '${text}'.`, { hint: DASHBOARD_HELP });
  return Number(text);
}

/** Serves until SIGINT or SIGTERM, then closes the server (the CLI's edge exits). */
function untilInterrupted(dashboard: RunningDashboard): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void dashboard.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function openBrowser({ io, out }: CommandContext, url: string): void {
  const command = io.env.BROWSER || (process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open');
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', (error) => out.warn(`Could not open a browser with '${command}' (${error.message}); open ${url} yourself.`));
    child.unref();
  } catch (error) {
    out.warn(`Could not open a browser with '${command}' (${error instanceof Error ? error.message : String(error)}); open ${url} yourself.`);
  }
}
