import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export type Language = 'ts' | 'js';
export type ModuleKind = 'esm' | 'cjs';

/** What kind of project a folder belongs to: TypeScript (a tsconfig.json) and ES modules (`"type": "module"`). */
export interface ProjectKind {
  readonly language: Language;
  readonly module: ModuleKind;
}

function findUp(start: string, name: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) return undefined;
  }
}

export function detectProject(dir: string): ProjectKind {
  const packageFile = findUp(dir, 'package.json');
  let type: unknown;
  try {
    type = packageFile === undefined ? undefined : (JSON.parse(readFileSync(packageFile, 'utf8')) as { type?: unknown }).type;
  } catch {
    type = undefined;
  }
  return { language: findUp(dir, 'tsconfig.json') === undefined ? 'js' : 'ts', module: type === 'module' ? 'esm' : 'cjs' };
}
