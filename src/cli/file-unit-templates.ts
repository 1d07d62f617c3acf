/** What `mongock create --sql` / `--declarative` writes: a unit file that is not code. */
export type FileUnitKind = 'sql' | 'declarative';

/** The built-in templates; `{{id}}` is the unit's id (the file name without extension), `{{author}}` its author. */
export function builtInFileTemplate(kind: FileUnitKind): string {
  switch (kind) {
    case 'sql':
      return `-- mongock: author={{author}}
-- {{id}}: what this change does, and why (docs/sql-units.md).
-- The statements run in the unit's transaction; add transactional=false to the header for those that
-- cannot (PostgreSQL CREATE INDEX CONCURRENTLY, MySQL/MariaDB DDL).
SELECT 1;

-- mongock:rollback
-- Statements that undo the change (mongock undo; a failed transactional=false run).
`;
    case 'declarative':
      return `{
  "author": "{{author}}",
  "changes": [
    { "createCollection": "{{id}}" }
  ],
  "rollback": [
    { "dropCollection": "{{id}}" }
  ]
}
`;
  }
}
