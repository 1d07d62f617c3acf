// Apart from recovery.ts so that `DOCTOR_CHECKS`, exported from the root entry, does not load
// the unit selection with it at every start-up.

/** The exact `mongock mark` commands that resolve `changeId` (with `--author` when the id alone is ambiguous). */
export function markCommands(changeId: string, author: string, ambiguous: boolean): readonly string[] {
  const who = ambiguous ? ` --author ${quote(author)}` : '';
  return [
    `mongock mark ${quote(changeId)}${who} --applied --reason "<what you checked>"      # its effects are complete`,
    `mongock mark ${quote(changeId)}${who} --rolled-back --reason "<what you checked>"  # its effects are undone; the next migration applies it again`,
  ];
}

function quote(value: string): string {
  return /^[\w.@:/-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
