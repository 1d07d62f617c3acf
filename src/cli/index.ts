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

// A run that never settles (a change whose promise never resolves, with no executionTimeoutMs)
// empties the event loop: Node would exit 0 as if it had finished. It is a failure.
let settled = false;
process.exitCode = 1;
process.on('beforeExit', () => {
  if (settled) return;
  process.stderr.write(
    'mongock: [RUN_UNFINISHED] the command did not finish: a change unit (or its rollback) returned a promise that never settles, and nothing else was left to run. ' +
      "Nothing after it ran; its lease expires on its own. Fix the unit, or set executionTimeoutMs (or the unit's timeoutMs) so that such a step fails and is rolled back.\n",
  );
  process.exit(1);
});

runCli(argv, io).then(
  (code) => {
    settled = true;
    process.exitCode = code;
    // Open handles (a pool a config created, a timer in a change unit) must not keep a finished CLI alive.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error: unknown) => {
    settled = true;
    process.stderr.write(`mongock: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
