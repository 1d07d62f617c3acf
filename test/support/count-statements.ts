/**
 * Counting what a driver sends, through the peer client the test hands to the driver: each
 * statement (or command) is reported to `sent` before it goes to the server. The round-trip tests
 * judge a driver by these counts, never by time.
 */
import type Database from 'better-sqlite3';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import type mysql from 'mysql2/promise';
import pg from 'pg';

type Call = (...args: unknown[]) => unknown;

/** Replaces `target[method]` by a wrapper that reports the call's statement text, then makes the call. */
function wrap(target: object, method: string, textOf: (args: unknown[]) => string, sent: (text: string) => void): void {
  const slot = target as Record<string, Call>;
  const original = slot[method]!.bind(target);
  slot[method] = (...args: unknown[]) => {
    sent(textOf(args));
    return original(...args);
  };
}

/** The text of a `query(text | { text }, …)` or `query(text | { sql }, …)` call. */
function queryText(key: 'text' | 'sql'): (args: unknown[]) => string {
  return ([first]) => (typeof first === 'string' ? first : String((first as Record<string, unknown>)[key]));
}

/** Every `client.query()` of a pg client. */
export function countPgQueries(client: pg.Client, sent: (text: string) => void): void {
  wrap(client, 'query', queryText('text'), sent);
}

/** Every `connection.query()` of a mysql2 connection (the driver sends everything through `query`). */
export function countMysqlQueries(connection: mysql.Connection, sent: (text: string) => void): void {
  wrap(connection, 'query', queryText('sql'), sent);
}

/**
 * Every `exec()` of a better-sqlite3 handle and every `run()`, `get()`, `all()` of a statement it
 * prepares; `prepared`, when given, hears each `prepare()` (parsing is what the statement cache saves).
 */
export function countSqliteStatements(database: Database.Database, sent: (text: string) => void, prepared?: (text: string) => void): void {
  wrap(database, 'exec', ([source]) => String(source), sent);
  const prepare = database.prepare.bind(database);
  database.prepare = ((source: string) => {
    prepared?.(source);
    const statement = prepare(source);
    for (const method of ['run', 'get', 'all'] as const) wrap(statement, method, () => source, sent);
    return statement;
  }) as typeof database.prepare;
}

/** Every command a MongoDB client starts, as `<command> <collection>` (the client needs `monitorCommands: true`). */
export function countMongoCommands(client: MongoClient, sent: (text: string) => void): void {
  client.on('commandStarted', (event: CommandStartedEvent) => {
    const target = event.command[event.commandName];
    sent(`${event.commandName} ${typeof target === 'string' ? target : ''}`.trim());
  });
}

/**
 * A connected pg client (to `url`) whose every query is reported to `sent`: what the round-trip
 * tests hand to `postgresDriver({ client })`. The caller ends it.
 */
export async function countedPgClient(url: string, sent: (text: string) => void): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  countPgQueries(client, sent);
  return client;
}

/**
 * A connected MongoDB client (to `url`, monitoring its commands) whose every command is reported to
 * `sent` as `<command> <collection>`, from the connection's own `hello` on. The caller closes it.
 */
export async function countedMongoClient(url: string, sent: (text: string) => void): Promise<MongoClient> {
  const client = new MongoClient(url, { monitorCommands: true, serverSelectionTimeoutMS: 5_000 });
  countMongoCommands(client, sent);
  await client.connect();
  return client;
}

/** A statement's text on one line, cut to 60 characters: enough to tell statements apart in a failure's list. */
export function shortStatement(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 60);
}
