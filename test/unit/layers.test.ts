import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers } from '../../scripts/check-layers.mjs';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'check-layers.mjs');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mongock-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The check in-process (the script's exit code and output are proven once, on this project, by the first test). */
function check(root: string): { code: number; output: string } {
  const { problems } = checkLayers(root);
  return { code: problems.length > 0 ? 1 : 0, output: problems.join('\n') };
}

describe('layer check (scripts/check-layers.mjs)', () => {
  it('passes on this project', () => {
    expect(execFileSync(process.execPath, [script], { encoding: 'utf8' })).toMatch(/imports follow the layers, no circular import/);
  });

  it('fails on an import against the layer order, naming both files', () => {
    const root = tree({
      'src/change/unit.ts': "import type { Logger } from '../runner/logger.ts';\nexport type Unit = Logger;\n",
      'src/runner/logger.ts': 'export interface Logger { info(m: string): void }\n',
    });
    const { code, output } = check(root);
    expect(code).toBe(1);
    expect(output).toContain('src/change/unit.ts (change) imports src/runner/logger.ts (runner), a layer above it');
  });

  it('fails on a circular import, even of types, and on one driver importing another', () => {
    const root = tree({
      'src/runner/a.ts': "import type { B } from './b.ts';\nexport type A = B[];\n",
      'src/runner/b.ts': "import type { A } from './a.ts';\nexport type B = { a: A };\n",
      'src/drivers/mysql/mysql-lock.ts': "export { quote } from '../postgres/postgres-sql.ts';\n",
      'src/drivers/postgres/postgres-sql.ts': 'export const quote = (s: string) => s;\n',
    });
    const { code, output } = check(root);
    expect(code).toBe(1);
    expect(output).toMatch(/circular import: src\/runner\/[ab]\.ts ↔ src\/runner\/[ab]\.ts/);
    expect(output).toContain('one driver folder never imports another');
  });

  it('fails on a folder that has no layer yet', () => {
    const { code, output } = check(tree({ 'src/widgets/widget.ts': 'export const x = 1;\n' }));
    expect(code).toBe(1);
    expect(output).toContain('folder src/widgets has no layer');
  });
});
