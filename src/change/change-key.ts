/** The key a change is known by in the history: identity is (changeId, author). */
export function entryKey(changeId: string, author: string): string {
  return `${author}\u0000${changeId}`;
}
