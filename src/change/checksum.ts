import { createRequire } from 'node:module';
import { builtins } from '../runtime/builtins.ts';
import type { ChangeStep, ChangeUnitModel } from './change-unit.ts';
import { withoutFileToken } from './file-token.ts';

/**
 * The checksum recorded with each executed change (see docs/cli.md, "What is hashed").
 *
 * Input: the source text of the unit's change methods — `execute`/`@Execution`, then the
 * before-step — as the JavaScript runtime holds them (`Function.prototype.toString`). That is
 * the file's own text for JavaScript units, and the compiler's output for TypeScript ones
 * (tsx/esbuild when loaded from a `.ts` file, tsc when the app runs compiled code).
 *
 * Canonical form: each method is parsed and printed again by esbuild (the compiler tsx already
 * ships) with whitespace minified, comments dropped, TypeScript types stripped and no syntax
 * lowering; the `__name(fn, "f")` wrappers that tsx's `keepNames` adds are then unwrapped.
 * Printing from the syntax tree is what makes indentation, line breaks, comments, trailing
 * commas, semicolons, quote style, redundant parentheses and arrow-parameter parentheses
 * irrelevant, and makes the same unit hash alike whether tsx compiled it or tsc did. What the
 * code does (identifiers, literals, calls, operators) still counts. Rollback methods are not
 * hashed: fixing a rollback is not a change to what was applied.
 *
 * Output: the first 16 hex digits of the SHA-256 of the canonical texts joined by NUL, then a
 * dot and the same digest of the raw texts (`<canonical>.<raw>`). Only the canonical part
 * decides whether code changed; the raw part lets a start-up with unchanged code skip the
 * compiler. esbuild comes with tsx, an optional peer: where it is not installed (a JavaScript
 * project), or cannot parse the text, comments and whitespace are stripped instead
 * ({@link normalise}), which is still blind to re-indentation but not to quote style. A checksum
 * recorded that way also matches where esbuild is installed ({@link sameCodes}), so installing tsx
 * later does not make edited units look changed.
 */
export function computeChecksum(model: ChangeUnitModel): string {
  return checksumsOf([model])[0]!;
}

/** What is recorded: `<canonical>.<raw>` (16 hex digits each; see {@link computeChecksum}). */
const RECORDED = /^([0-9a-f]{16})(?:\.([0-9a-f]{16}))?$/;

const cache = new WeakMap<ChangeUnitModel, string>();

/**
 * The recorded checksum of each model, computed in one compiler call for every model not seen
 * before (one round trip to esbuild, however many units: this is on the per-unit path).
 * The value is `<canonical>.<raw>`: the canonical hash decides; the hash of the raw text lets
 * start-up skip the compiler when the code is byte-for-byte what was recorded ({@link sameCode}).
 */
export function checksumsOf(models: readonly ChangeUnitModel[]): string[] {
  const missing = uncached(models);
  if (missing.length > 0) {
    const sources = missing.map(methodSources);
    remember(missing, sources, canonicalSources(sources.flat()));
  }
  return models.map((model) => cache.get(model)!);
}

/**
 * {@link checksumsOf} through esbuild's asynchronous API, for the apply path: the synchronous
 * one starts a worker thread that loads esbuild a second time (measured: ~50 ms more CPU and
 * ~10 MB more peak RSS a process), the asynchronous one talks to esbuild's child process from
 * this thread. Same input text and options, so the same checksums; whatever does not print in
 * one batch goes the synchronous way, source by source, as in {@link canonicalSources}.
 */
export async function checksumsReady(models: readonly ChangeUnitModel[]): Promise<void> {
  const missing = uncached(models);
  if (missing.length === 0) return;
  const sources = missing.map(methodSources);
  remember(missing, sources, await canonicalSourcesAsync(sources.flat()));
}

/** The models with no checksum cached yet (SQL and declarative units, whose sources are normal forms, are cached here). */
function uncached(models: readonly ChangeUnitModel[]): ChangeUnitModel[] {
  for (const model of models) {
    // SQL and declarative unit files: their steps' sources are normal forms already (see docs/sql-units.md).
    if (!cache.has(model) && model.steps.execution.declared === true) {
      const sources = methodSources(model);
      cache.set(model, `${hash(sources)}.${rawHash(sources)}`);
    }
  }
  return models.filter((model) => !cache.has(model));
}

/** Caches each model's checksum from its sources and their canonical texts (all models' in one list, in order). */
function remember(models: readonly ChangeUnitModel[], sources: readonly string[][], canonical: readonly string[]): void {
  let next = 0;
  models.forEach((model, index) => {
    const parts = sources[index]!.map(() => canonical[next++]!);
    cache.set(model, `${hash(parts)}.${rawHash(sources[index]!)}`);
  });
}

/**
 * Whether the code of each model is the code its history entry recorded: equal raw hashes
 * answer at once (the common case, no compiler); the others are canonicalised together in one
 * compiler call, so reformatting and recompiling are not changes. Checksums recorded without a
 * raw part (older entries) compare canonically.
 */
export function sameCodes(pairs: readonly { readonly recorded: string; readonly model: ChangeUnitModel }[]): boolean[] {
  // A file token after the code's parts (`.f<digest>-<keys>`) says where the unit came from, not what it does.
  const parts = pairs.map(({ recorded }) => RECORDED.exec(withoutFileToken(recorded)));
  const canonical = parts.map((match) => match?.[1]);
  // `<canonical>.<raw>`: compare the raw part with plain string operations (start-up path).
  const fast = parts.map((match, i) => match?.[2] !== undefined && match[2] === rawHash(methodSources(pairs[i]!.model)));
  checksumsOf(pairs.filter((_, i) => canonical[i] !== undefined && !fast[i]).map(({ model }) => model));
  return pairs.map(({ model }, i) => fast[i]! || (canonical[i] !== undefined && sameCanonical(canonical[i]!, model)));
}

/** The recorded canonical part against this unit's: printed by esbuild, or by the fallback form it was recorded with. */
function sameCanonical(recorded: string, model: ChangeUnitModel): boolean {
  if (recorded === checksumsOf([model])[0]!.slice(0, 16)) return true;
  return loadEsbuild() !== null && recorded === hash(methodSources(model).map((source) => (source === '' ? '' : normalise(source))));
}

/** {@link sameCodes} for one unit. */
export function sameCode(recorded: string, model: ChangeUnitModel): boolean {
  return sameCodes([{ recorded, model }])[0]!;
}

/** SHA-256, first 16 hex digits: the canonical part. */
function hash(parts: readonly string[]): string {
  return builtins.crypto().createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

/**
 * The raw part: a fast 64-bit non-cryptographic digest (two 32-bit multiplicative hashes). It is
 * only a shortcut for "byte-for-byte the same code", so start-up need not load `crypto`.
 */
function rawHash(parts: readonly string[]): string {
  const text = parts.join('\u0000');
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/**
 * The runtime source text of the execution and the before-step ('' when absent), then the
 * after-step only when there is one (so that units without one keep their recorded checksums).
 */
function methodSources(model: ChangeUnitModel): string[] {
  const { execution, before, after } = model.steps;
  return [execution, before, ...(after === undefined ? [] : [after])].map((step) => (step === undefined ? '' : sourceOf(model, step)));
}

function sourceOf(model: ChangeUnitModel, step: ChangeStep): string {
  const unitClass = model.steps.unitClass;
  if (unitClass !== undefined) {
    const method = (unitClass.prototype as Record<string, unknown>)[step.name];
    return typeof method === 'function' ? Function.prototype.toString.call(method) : '';
  }
  return step.source ?? '';
}

interface EsbuildTransform {
  transformSync(code: string, options: Record<string, unknown>): { code: string };
  transform(code: string, options: Record<string, unknown>): Promise<{ code: string }>;
}

let esbuild: EsbuildTransform | null | undefined;

/** tsx's own esbuild, loaded on first use; null where tsx (an optional peer) is not installed. */
function loadEsbuild(): EsbuildTransform | null {
  if (esbuild !== undefined) return esbuild;
  try {
    const fromMongock = createRequire(import.meta.url);
    const fromTsx = createRequire(fromMongock.resolve('tsx/package.json'));
    esbuild = fromTsx('esbuild') as EsbuildTransform;
  } catch {
    esbuild = null;
  }
  return esbuild;
}

// `toString()` of a method is not an expression on its own: it is wrapped as an expression, an
// object-literal method or a class member, whichever the JavaScript engine can parse (a cheap
// check that compiles nothing), so that one compiler call can print every source at once.
const WRAPPERS: readonly (readonly [string, string])[] = [
  ['(', '\n);'],
  ['({', '\n});'],
  ['(class{', '\n});'],
];
const SPLIT = '"__mongock_checksum_split__";';

function wrap(source: string): string {
  for (const [open, close] of WRAPPERS) {
    try {
      new Function(`${open}${source}${close}`);
      return `${open}${source}${close}`;
    } catch {
      // not this wrapper
    }
  }
  return `(class{${source}\n});`;
}

/** The canonical text of each source, in order; see {@link computeChecksum}. */
export function canonicalSources(sources: readonly string[]): string[] {
  const compiler = loadEsbuild();
  const present = sources.filter((source) => source !== '');
  if (compiler !== null && present.length > 0) {
    try {
      const printed = printedSources(compiler.transformSync(batchOf(present), TRANSFORM_OPTIONS).code, sources, present.length);
      if (printed !== undefined) return printed;
    } catch {
      // Some source does not parse: print each on its own, so that one unit's checksum never
      // depends on which other units shared its batch.
      if (present.length > 1) return sources.map((source) => canonicalSources([source])[0]!);
    }
  }
  return sources.map((source) => (source === '' ? '' : normalise(source)));
}

/** {@link canonicalSources} with esbuild's asynchronous API; a batch that does not print goes the synchronous way (the same fallbacks). */
async function canonicalSourcesAsync(sources: readonly string[]): Promise<string[]> {
  const compiler = loadEsbuild();
  const present = sources.filter((source) => source !== '');
  if (compiler === null || present.length === 0) return canonicalSources(sources);
  try {
    const printed = printedSources((await compiler.transform(batchOf(present), TRANSFORM_OPTIONS)).code, sources, present.length);
    if (printed !== undefined) return printed;
  } catch {
    // Some source does not parse: the synchronous path prints each on its own.
  }
  return canonicalSources(sources);
}

/** Every non-empty source wrapped and joined into one text, for one compiler call. */
function batchOf(present: readonly string[]): string {
  return present.map(wrap).join(`\n${SPLIT}\n`);
}

/** The canonical text of each source from the printed batch; undefined when it does not split into `count` parts. */
function printedSources(code: string, sources: readonly string[], count: number): string[] | undefined {
  const printed = code.trim().split(SPLIT);
  if (printed.length !== count) return undefined;
  let next = 0;
  return sources.map((source) => (source === '' ? '' : unwrapKeepNames(printed[next++]!.trim())));
}

const TRANSFORM_OPTIONS = Object.freeze({
  loader: 'ts',
  minifyWhitespace: true,
  legalComments: 'none',
  target: 'esnext',
  charset: 'utf8',
});

/**
 * Removes tsx's `keepNames` helpers from printed code: `__name(expr,"f")` becomes `expr`, and a
 * statement `__name(f,"f");` disappears. Works on esbuild's minified output, whose strings are
 * the only places where parentheses and commas may appear unbalanced.
 */
function unwrapKeepNames(code: string): string {
  const marker = '__name(';
  let out = '';
  let i = 0;
  while (i < code.length) {
    const at = code.indexOf(marker, i);
    if (at === -1 || (at > 0 && /[\w$.]/.test(code[at - 1]!))) {
      if (at === -1) return out + code.slice(i);
      out += code.slice(i, at + marker.length);
      i = at + marker.length;
      continue;
    }
    const call = readCall(code, at + marker.length);
    if (call === undefined) return out + code.slice(i);
    out += code.slice(i, at);
    const statement = /^[A-Za-z_$][\w$]*$/.test(call.inner) && (at === 0 || /[;{}]/.test(code[at - 1]!)) && code[call.end] === ';';
    if (statement) {
      i = call.end + 1;
    } else {
      out += unwrapKeepNames(call.inner);
      i = call.end;
    }
  }
  return out;
}

/** From just after `__name(`: the first argument and the index after the closing `)`. */
function readCall(code: string, start: number): { inner: string; end: number } | undefined {
  let depth = 0;
  let comma = -1;
  for (let i = start; i < code.length; i++) {
    const c = code[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(code, i);
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        if (c !== ')' || comma === -1) return undefined;
        const name = code.slice(comma + 1, i);
        if (!/^"[^"]*"$/.test(name)) return undefined;
        return { inner: code.slice(start, comma), end: i + 1 };
      }
      depth--;
    } else if (c === ',' && depth === 0) comma = i;
  }
  return undefined;
}

function skipString(code: string, start: number): number {
  const quote = code[start];
  let i = start + 1;
  while (i < code.length && code[i] !== quote) i += code[i] === '\\' ? 2 : 1;
  return i;
}

/** The fallback canonical form: comments and all whitespace outside string literals removed. */
function normalise(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      if (!/\s/.test(c)) out += c;
      i++;
    }
  }
  return out;
}
