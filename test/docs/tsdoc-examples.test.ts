/**
 * The TSDoc examples of src/ are code: every ```ts block that is a whole module (it imports from
 * 'mongock' or a subpath) is type-checked under `strict` against the sources, through the
 * package's own entry points; every other ```ts block (a fragment inside a class or a call) and
 * every ```js block is parsed, so a syntax slip fails too.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'src');

interface Example {
  readonly name: string;
  readonly language: 'ts' | 'js';
  readonly code: string;
  readonly whole: boolean;
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
        const code = block[2]!;
        found.push({
          name: `${relative(src, file).replace(/[/.]/g, '-')}-${line}`,
          language: block[1] as 'ts' | 'js',
          code,
          whole: block[1] === 'ts' && /from 'mongock(\/[a-z]+)?';/.test(code),
        });
      }
    }
  }
  return found;
}

const all = examples();
// Inside node_modules/.cache so the examples resolve the peers (mongodb, @nestjs/*) as the sources do.
const work = join(root, 'node_modules', '.cache', 'mongock-tsdoc-examples');

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('TSDoc examples in src/', () => {
  it('there are examples, and the whole-module ones are most of the public entry points', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((example) => example.whole).length).toBeGreaterThanOrEqual(10);
  });

  it('every ```ts and ```js block parses', () => {
    const problems = all.flatMap((example) => {
      const kind = example.language === 'ts' ? ts.ScriptKind.TS : ts.ScriptKind.JS;
      // A fragment may be a class member or a statement list: parse it as the body of a class when it is not a statement list.
      const attempt = (code: string) => {
        const file = ts.createSourceFile(`${example.name}.${example.language}`, code, ts.ScriptTarget.ES2022, true, kind);
        return (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
      };
      const asModule = attempt(example.code);
      if (asModule.length === 0 || attempt(`class Example {\n${example.code}\n}`).length === 0) return [];
      return [`${example.name}: ${ts.flattenDiagnosticMessageText(asModule[0]!.messageText, '\n')}`];
    });
    expect(problems).toEqual([]);
  });

  it('every whole-module ```ts example type-checks under strict against the sources', () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const files = all
      .filter((example) => example.whole)
      .map((example) => {
        const path = join(work, `${example.name}.ts`);
        writeFileSync(path, `${example.code}\nexport {};\n`);
        return path;
      });
    const entry = (path: string) => [join(src, path)];
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
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
      paths: {
        mongock: entry('index.ts'),
        'mongock/driver': entry('drivers/index.ts'),
        'mongock/testkit': entry('drivers/testkit/index.ts'),
        'mongock/nestjs': entry('nestjs/index.ts'),
        'mongock/dashboard': entry('dashboard/index.ts'),
        'mongock/*': entry('drivers/*/index.ts'),
      },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file !== undefined && diagnostic.file.fileName.startsWith(work))
      .map((diagnostic) => {
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `${relative(work, diagnostic.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
    // A whole type-check of the sources: ~20 s on a quiet 2-core machine, over 60 s at load 50.
  }, 240_000);
});
