import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The code blocks of a doc preceded by `<!-- file: NAME -->`, as { name, text }. */
export function docFiles(doc: string): { name: string; text: string }[] {
  const text = readFileSync(join(root, 'docs', doc), 'utf8');
  return [...text.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)].map((match) => ({ name: match[1]!, text: match[2]! }));
}
