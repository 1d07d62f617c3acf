#!/usr/bin/env node
/**
 * The `mongock` binary: wires the process to {@link runCli} and is the only place that exits.
 * With `--json`, anything else that writes to stdout (a change unit's console.log, a logger)
 * is sent to stderr, so stdout holds exactly the one JSON document.
 */
import { runCli } from './cli.ts';
import type { CliIo, CliStream } from './io.ts';

const argv = process.argv.slice(2);
const realStdoutWrite = process.stdout.write.bind(process.stdout);
if (argv.includes('--json')) {
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
}

const stream = (target: NodeJS.WriteStream, write: (text: string) => unknown): CliStream => ({
  write: (text) => void write(text),
  get isTTY() {
    return target.isTTY === true;
  },
  get columns() {
    return target.columns;
  },
});

const io: CliIo = {
  stdout: stream(process.stdout, realStdoutWrite),
  stderr: stream(process.stderr, (text) => process.stderr.write(text)),
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  chdir: (dir) => process.chdir(dir),
};

runCli(argv, io).then(
  (code) => {
    process.exitCode = code;
    // Open handles (a pool a config created, a timer in a change unit) must not keep a finished CLI alive.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error: unknown) => {
    process.stderr.write(`mongock: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
