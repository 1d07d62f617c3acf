import { visibleLength } from './colors.ts';

/** A plain text table: a header row, then rows, columns padded to the widest cell. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], style: (text: string) => string = (t) => t): string {
  const widths = header.map((cell, i) => Math.max(visibleLength(cell), ...rows.map((row) => visibleLength(row[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [style(line(header)), ...rows.map(line)].join('\n');
}

/** Milliseconds as people read them: `840 ms`, `2.4 s`, `3 min 12 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
