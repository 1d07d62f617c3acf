import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ChangeUnitModel } from './change-unit.ts';

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
 * Output: the first 16 hex digits of the SHA-256 of the canonical texts joined by NUL.
 * When esbuild cannot be loaded or cannot parse the text, comments and whitespace are stripped
 * instead ({@link normalise}), which is still blind to re-indentation but not to quote style.
 */
export function computeChecksum(model: ChangeUnitModel): string {
  const parts = [model.steps.execution, model.steps.before].map((step) => (step === undefined ? '' : canonicalSource(sourceOf(model, step.name))));
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

function sourceOf(model: ChangeUnitModel, name: string): string {
  const unitClass = model.steps.unitClass;
  if (unitClass !== undefined) {
    const method = (unitClass.prototype as Record<string, unknown>)[name];
    return typeof method === 'function' ? Function.prototype.toString.call(method) : '';
  }
  const step = name === 'execute' ? model.steps.execution : model.steps.before;
  return step === undefined ? '' : (step.source ?? '');
}

interface EsbuildTransform {
  transformSync(code: string, options: Record<string, unknown>): { code: string };
}

let esbuild: EsbuildTransform | null | undefined;

/** tsx's own esbuild: always installed with mongock (tsx is a dependency), loaded on first use. */
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

// `toString()` of a method is not an expression on its own: try it as an expression, then as
// an object-literal method, then as a class method (static blocks, `#private` access...).
const WRAPPERS: readonly (readonly [string, string])[] = [
  ['(', '\n);'],
  ['({', '\n});'],
  ['(class{', '\n});'],
];

/** The canonical text of one function's source; see {@link computeChecksum}. */
export function canonicalSource(source: string): string {
  if (source === '') return '';
  const compiler = loadEsbuild();
  if (compiler !== null) {
    for (const [open, close] of WRAPPERS) {
      try {
        const { code } = compiler.transformSync(`${open}${source}${close}`, {
          loader: 'ts',
          minifyWhitespace: true,
          legalComments: 'none',
          target: 'esnext',
          charset: 'utf8',
        });
        return unwrapKeepNames(code.trim());
      } catch {
        // not this wrapper; try the next one
      }
    }
  }
  return normalise(source);
}

/**
 * Removes tsx's `keepNames` helpers from printed code: `__name(expr,"f")` becomes `expr`, and a
 * statement `__name(f,"f");` disappears. Works on esbuild's minified output, whose strings are
 * the only places where parentheses and commas may appear unbalanced.
 */
export function unwrapKeepNames(code: string): string {
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
export function normalise(source: string): string {
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
