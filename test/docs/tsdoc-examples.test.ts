/**
 * The TSDoc of the public surface is part of it. Every export of every entry point (the root and
 * each subpath of package.json) has a TSDoc block, and every ```ts and ```js block inside a TSDoc
 * comment of src/ is a whole module that type-checks under `strict` against the sources, through
 * the package's own entry points (`mongock`, `mongock/sqlite`…); a ```js block is checked as
 * JavaScript (`checkJs`). One TypeScript program serves all of it; a wrong example written into
 * it beside the real ones proves the check can fail.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'src');

/** The package's entry points (package.json `exports`), by the name a user imports. */
const ENTRIES: Readonly<Record<string, string>> = {
  mongock: 'index.ts',
  'mongock/driver': 'drivers/index.ts',
  'mongock/testkit': 'drivers/testkit/index.ts',
  'mongock/nestjs': 'nestjs/index.ts',
  'mongock/dashboard': 'dashboard/index.ts',
  'mongock/sqlite': 'drivers/sqlite/index.ts',
  'mongock/mongodb': 'drivers/mongodb/index.ts',
  'mongock/postgres': 'drivers/postgres/index.ts',
  'mongock/mysql': 'drivers/mysql/index.ts',
};

interface Example {
  readonly name: string;
  readonly language: 'ts' | 'js';
  readonly code: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The fenced ts/js blocks inside TSDoc comments, with ` * ` taken off each line. */
function examples(): Example[] {
  const found: Example[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const body = comment[0]
        .split('\n')
        .map((line) => line.replace(/^\s*\/?\*+\/? ?/, ''))
        .join('\n');
      for (const block of body.matchAll(/```(ts|js)\n([\s\S]*?)```/g)) {
        const line = text.slice(0, comment.index).split('\n').length;
        found.push({ name: `${relative(src, file).replace(/[/.]/g, '-')}-${line}`, language: block[1] as 'ts' | 'js', code: block[2]! });
      }
    }
  }
  return found;
}

const all = examples();
/** Written beside the real examples, in the same program: the check must report it. */
const WRONG: Example = {
  name: 'a-wrong-example',
  language: 'ts',
  code: "import { createRunner } from 'mongock';\nconst runner = createRunner({ changeUnits: [] });\nrunner.executeTwice();\n",
};
// Inside node_modules/.cache so the examples resolve the peers (mongodb, @nestjs/*) as the sources do.
const work = join(root, 'node_modules', '.cache', 'mongock-tsdoc-examples');

afterAll(() => rmSync(work, { recursive: true, force: true }));

let built: { program: ts.Program; files: Map<Example, string> } | undefined;

/** One program for all: the entry points and every example as a file (built once, on first use). */
function program(): { program: ts.Program; files: Map<Example, string> } {
  if (built !== undefined) return built;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const files = new Map<Example, string>();
  for (const example of [...all, WRONG]) {
    const path = join(work, `${example.name}.${example.language === 'ts' ? 'ts' : 'mjs'}`);
    writeFileSync(path, `${example.code}\nexport {};\n`);
    files.set(example, path);
  }
  const entries = Object.values(ENTRIES).map((path) => join(src, path));
  const created = ts.createProgram([...entries, ...files.values()], {
    strict: true,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    baseUrl: root,
    paths: Object.fromEntries([...Object.entries(ENTRIES).map(([name, path]) => [name, [join(src, path)]])]),
  });
  built = { program: created, files };
  return built;
}

/** The type errors of one example's file, as `file:line: message`. */
function problemsOf(example: Example): string[] {
  const { program: checked, files } = program();
  const file = checked.getSourceFile(files.get(example)!)!;
  return [...checked.getSyntacticDiagnostics(file), ...checked.getSemanticDiagnostics(file)].map((diagnostic) => {
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    return `${relative(work, file.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

/** Every export of every entry point, resolved through re-exports, with the checker that reads its TSDoc. */
function publicExports(): Array<{ readonly entry: string; readonly name: string; readonly target: ts.Symbol; readonly checker: ts.TypeChecker }> {
  const { program: checked } = program();
  const checker = checked.getTypeChecker();
  return Object.entries(ENTRIES).flatMap(([entry, path]) => {
    const module = checker.getSymbolAtLocation(checked.getSourceFile(join(src, path))!)!;
    return checker.getExportsOfModule(module).map((exported) => ({
      entry,
      name: exported.name,
      target: exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported,
      checker,
    }));
  });
}

describe('TSDoc of the public surface', () => {
  it('every export of every entry point has a TSDoc block', () => {
    const missing = publicExports().flatMap(({ entry, name, target, checker }) => {
      const documented = target.getDocumentationComment(checker).length > 0 || target.getJsDocTags(checker).length > 0;
      const where = target.declarations?.[0]?.getSourceFile().fileName;
      return documented ? [] : [`${entry}: ${name} (${where === undefined ? '?' : relative(src, where)})`];
    });
    expect(missing).toEqual([]);
  }, 240_000);

  it('every exported function and class shows its use in an example', () => {
    const without = publicExports().flatMap(({ entry, name, target, checker }) => {
      if ((target.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) === 0) return [];
      const shown =
        target.getJsDocTags(checker).some((tag) => tag.name === 'example') || ts.displayPartsToString(target.getDocumentationComment(checker)).includes('```');
      return shown ? [] : [`${entry}: ${name}`];
    });
    expect(without).toEqual([]);
  }, 240_000);

  it('there are examples, and a wrong one fails the check', () => {
    expect(all.length).toBeGreaterThanOrEqual(38);
    expect(problemsOf(WRONG).join('\n')).toMatch(/executeTwice/);
  }, 240_000);

  // A whole type-check of the examples over the sources: ~20 s on a quiet 2-core machine, over 60 s at load 50.
  it('every ```ts and ```js example type-checks under strict against the sources', () => {
    expect(all.flatMap(problemsOf)).toEqual([]);
  }, 240_000);
});
