import { extname } from 'node:path';

/** What a unit was written as, for `status`: a `.sql` file, a declarative `.json`/`.yaml` file, or code. */
export type UnitFileKind = 'sql' | 'declarative' | 'code';

export function unitFileKind(source: string | undefined): UnitFileKind {
  const ext = source === undefined ? '' : extname(source);
  if (ext === '.sql') return 'sql';
  return ext === '.json' || ext === '.yaml' || ext === '.yml' ? 'declarative' : 'code';
}
