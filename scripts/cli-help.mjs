#!/usr/bin/env node
// The README's CLI section is the binary's own --help output. `node scripts/cli-help.mjs`
// rewrites the block between <!-- cli-help:start --> and <!-- cli-help:end -->;
// `--check` exits 1 when the README differs; `--print` prints the block. Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const COMMANDS = ['init', 'create', 'migrate', 'undo', 'status', 'doctor', 'mark', 'validate', 'unlock', 'dashboard'];
const START = '<!-- cli-help:start -->';
const END = '<!-- cli-help:end -->';

const help = (args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }).trimEnd();

export function generatedBlock() {
  const sections = [
    '<!-- Generated from `mongock --help` by scripts/cli-help.mjs; do not edit by hand. -->',
    '',
    '```text',
    '$ mongock --help',
    help(['--help']),
    '```',
  ];
  for (const command of COMMANDS) sections.push('', `### mongock ${command}`, '', '```text', help([command, '--help']), '```');
  return `${START}\n${sections.join('\n')}\n${END}`;
}

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const pattern = new RegExp(`${START}[\\s\\S]*?${END}`);
if (!pattern.test(readme)) {
  console.error(`README.md has no ${START} ... ${END} block.`);
  process.exit(1);
}
const block = generatedBlock();
const mode = process.argv[2];
if (mode === '--print') {
  process.stdout.write(`${block}\n`);
} else if (mode === '--check') {
  if (readme.match(pattern)[0] !== block) {
    console.error('README.md CLI section differs from `mongock --help`; run `node scripts/cli-help.mjs`.');
    process.exit(1);
  }
} else {
  writeFileSync(
    readmePath,
    readme.replace(pattern, () => block),
  );
  console.log('README.md CLI section updated.');
}
