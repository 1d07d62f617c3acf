#!/usr/bin/env node
// Fails when an import in src/ runs against the layer order or closes a circle. Layers, bottom
// to top (a file may import its own layer and those below it):
//   leaves (errors, log, runtime) → change → history → lock → driver contract (drivers/driver.ts,
//   drivers/shared) → drivers (one folder per database; never each other) → runner →
//   tenants (many databases, one runner each) → consumers (cli, nestjs, dashboard, the testkit,
//   the package's entry points).
// Type-only imports count: a circle of types is still a circle for the reader.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAYERS = ['leaf', 'change', 'history', 'lock', 'contract', 'driver', 'runner', 'tenants', 'consumer'];
const FOLDERS = {
  errors: 'leaf',
  log: 'leaf',
  runtime: 'leaf',
  change: 'change',
  history: 'history',
  lock: 'lock',
  runner: 'runner',
  tenants: 'tenants',
  cli: 'consumer',
  nestjs: 'consumer',
  dashboard: 'consumer',
};

/** The layer of a file and the folder that is its unit (drivers of different databases are apart). */
function place(src, file) {
  const parts = relative(src, file).split(sep);
  if (parts.length === 1) return { layer: 'consumer', unit: '.' };
  const [top, second] = parts;
  if (top === 'drivers') {
    // src/drivers/index.ts is the `mongock/driver` entry point: it gathers the contract and the memory driver.
    if (second === 'index.ts') return { layer: 'consumer', unit: 'drivers/index' };
    if (parts.length === 2 || second === 'shared') return { layer: 'contract', unit: 'drivers' };
    if (second === 'testkit') return { layer: 'consumer', unit: 'drivers/testkit' };
    return { layer: 'driver', unit: `drivers/${second}` };
  }
  const layer = FOLDERS[top];
  if (layer === undefined) return undefined;
  return { layer, unit: top };
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(m|c)?ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier?.startsWith('.')) found.push(resolve(dirname(file), specifier));
  }
  return found;
}

/**
 * The layer check of the tree at `root` (its `src/`): how many files it read, and each import
 * against the layer order, between two driver folders, or closing a circle. The script's own test
 * calls it in-process on trees that break the rules; `npm test` runs the script.
 */
export function checkLayers(root) {
  const src = join(root, 'src');
  const files = sources(src);
  const graph = importGraph(root, src, files);
  return { files: files.length, problems: [...graph.problems, ...circles(root, graph.edges)] };
}

/** The file graph of `files`, and the imports that run against the layers or sideways between drivers. */
function importGraph(root, src, files) {
  const known = new Set(files);
  const problems = [];
  const graph = new Map();
  for (const file of files) {
    const from = place(src, file);
    const name = relative(root, file);
    if (from === undefined) {
      problems.push(`${name}: folder src/${relative(src, file).split(sep)[0]} has no layer; add it to FOLDERS in scripts/check-layers.mjs`);
      continue;
    }
    const edges = [];
    for (const target of importsOf(file)) {
      if (!known.has(target)) continue; // packages, JSON, generated files
      edges.push(target);
      const to = place(src, target);
      if (to === undefined) continue;
      const up = LAYERS.indexOf(to.layer) > LAYERS.indexOf(from.layer);
      const sideways = from.layer === 'driver' && to.layer === 'driver' && from.unit !== to.unit;
      if (up) problems.push(`${name} (${from.layer}) imports ${relative(root, target)} (${to.layer}), a layer above it`);
      if (sideways) problems.push(`${name} imports ${relative(root, target)}: one driver folder never imports another; share through src/drivers/shared`);
    }
    graph.set(file, edges);
  }
  return { problems, edges: graph };
}

/** Circles: strongly connected components of the file graph (Tarjan), one problem each. */
function circles(root, graph) {
  const problems = [];
  let index = 0;
  const stack = [];
  const meta = new Map();
  function visit(file) {
    const node = { index, low: index, onStack: true };
    index += 1;
    meta.set(file, node);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const seen = meta.get(next);
      if (seen === undefined) {
        visit(next);
        node.low = Math.min(node.low, meta.get(next).low);
      } else if (seen.onStack) node.low = Math.min(node.low, seen.index);
    }
    if (node.low !== node.index) return;
    const component = [];
    for (;;) {
      const member = stack.pop();
      meta.get(member).onStack = false;
      component.push(member);
      if (member === file) break;
    }
    const selfLoop = (graph.get(file) ?? []).includes(file);
    if (component.length > 1 || selfLoop) problems.push(`circular import: ${component.map((f) => relative(root, f)).join(' ↔ ')}`);
  }
  for (const file of graph.keys()) if (!meta.has(file)) visit(file);
  return problems;
}

// Run as a script: this project's root, or another given (a tree that breaks the rules).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, problems } = checkLayers(resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..')));
  if (problems.length > 0) {
    console.error(`Layer check failed (${problems.length}):\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
  console.log(`Layer check: ${files} files, imports follow the layers, no circular import.`);
}
