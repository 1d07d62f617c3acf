#!/usr/bin/env node
// `npm run example`: builds the package if needed, then runs examples/sqlite (twice is fine).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'index.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'examples', 'sqlite', 'main.mjs')], { cwd: root, stdio: 'inherit' });
