import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/processes.ts';
import { POSTGRES_URL } from '../support/servers.ts';

// Issue 18, point 13: `scripts/` start steps keep a working server, replace one that answers but
// does not work (a FerretDB whose clone, and so its data, was deleted), refuse to touch a foreign
// process on the port, and keep every server's files outside the clone.

const SHARED_BASE = process.env.MONGOCK_TEST_SERVERS_DIR ?? '/var/tmp/mongock-test-servers';

function script(name: string, command: string, env: Record<string, string>): { code: number | null; stderr: string } {
  const result = spawnSync('bash', [join(projectRoot, 'scripts', `${name}.sh`), command], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: result.status, stderr: result.stderr };
}

function listenerPid(port: number): number | undefined {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const match = /pid=(\d+)/.exec(out);
  return match === null ? undefined : Number(match[1]);
}

function dataFolderOf(pid: number): string {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return args[args.indexOf('-data') + 1]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function writeWorks(port: number): Promise<true | string> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 10_000 });
  try {
    const collection = client.db('reliability_probe').collection('probe');
    await collection.insertOne({ at: new Date() });
    return true;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (listenerPid(port) !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

describe('test servers (scripts/)', () => {
  it('FerretDB: a server left listening on a deleted clone is replaced; a healthy one is kept; files live outside the clone', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const env = { FERRETDB_PORT: String(port) };
    cleanups.push(() => script('ferretdb', 'stop', env));

    // Ours first (builds the shared binary when missing): where does it keep its files?
    expect(script('ferretdb', 'start', env).code).toBe(0);
    const first = listenerPid(port)!;
    const binary = readlinkSync(`/proc/${first}/exe`);
    expect(binary.startsWith(`${SHARED_BASE}/`)).toBe(true);
    expect(dataFolderOf(first).startsWith(`${SHARED_BASE}/`)).toBe(true);
    expect(script('ferretdb', 'stop', env).code).toBe(0);

    // The old layout: a clone starts FerretDB with its data inside the clone, then the clone is deleted.
    const clone = mkdtempSync(join(tmpdir(), 'mongock-old-clone-'));
    const stale: ChildProcess = spawn(binary, ['-listen', `127.0.0.1:${port}`, '-data', join(clone, 'data')], { detached: true, stdio: 'ignore' });
    stale.unref();
    cleanups.push(() => {
      try {
        process.kill(stale.pid!, 'SIGKILL');
      } catch {}
    });
    await waitForPort(port);
    rmSync(clone, { recursive: true, force: true });
    expect(await writeWorks(port)).not.toBe(true); // the failure the next clone's tests used to meet

    const replaced = script('ferretdb', 'start', env);
    expect(replaced.code).toBe(0);
    expect(replaced.stderr).toMatch(/replacing the ferretdb server/);
    const fresh = listenerPid(port)!;
    expect(fresh).not.toBe(stale.pid);
    expect(await writeWorks(port)).toBe(true);
    expect(dataFolderOf(fresh).startsWith(`${SHARED_BASE}/ferretdb/`)).toBe(true);

    // Healthy: kept, not restarted (other clones' test runs are using it).
    const again = script('ferretdb', 'start', env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/healthy .* kept/);
    expect(listenerPid(port)).toBe(fresh);
  });

  it.each([
    ['ferretdb', 'FERRETDB_PORT'],
    ['postgres', 'PGPORT_TEST'],
    ['mariadb', 'MYSQL_PORT_TEST'],
  ])('%s: another program on the port is reported and left alone', async (name, variable) => {
    const foreign: Server = createServer((socket) => socket.end('not a database\n'));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const { port } = foreign.address() as { port: number };
    try {
      const result = script(name, 'start', { [variable]: String(port) });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`port 127.0.0.1:${port} is used by pid ${process.pid}`);
      expect(listenerPid(port)).toBe(process.pid);
    } finally {
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }
  });

  it('PostgreSQL: the running server is kept and proven by a write in the scratch database', async () => {
    const before = listenerPid(54329);
    expect(script('postgres', 'start', {}).code).toBe(0);
    expect(listenerPid(54329)).toBe(before);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const { rows } = await client.query("select 1 from pg_database where datname = 'mongock_probe'");
      expect(rows).toHaveLength(1);
    } finally {
      await client.end();
    }
  });
});
