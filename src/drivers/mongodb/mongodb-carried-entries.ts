import { BSON, type Document } from 'mongodb';

/** Canonical Extended JSON: dates and 64-bit integers come back as they went. */
const CANONICAL = Object.freeze({ relaxed: false });

/** The lock document's field holding the entries it carries: recorded under the fence, not yet in the history. */
export const CARRIED_FIELD = 'carriedEntries';
/** Carried entries are written to the history in one `insert` once this many have gathered. */
export const CARRY_AT_MOST = 8;
/** Or once their text is this long (the lock document is rewritten whole at each update on FerretDB). */
const CARRY_AT_MOST_CHARS = 64 * 1024;

/** Writes entries to the history in one command; `recovered`: re-sent from a lock document, so a present key is already there. */
export type WriteEntries = (documents: readonly Document[], recovered: boolean) => Promise<void>;

/**
 * The history entries of non-transactional units, carried in the lock document (MongoDB without
 * transactions). A unit's EXECUTED entry is not written on its own: it rides in the next fenced
 * update of the lock document, the one that sets the next unit's in-progress marker (or clears
 * the last one at release), and the carried entries are written to the history in one `insert`
 * every {@link CARRY_AT_MOST} units and before the release. So a unit costs one write of ours
 * instead of two, and the entry is fenced on the server (owner and fence) like the marker.
 *
 * Each update of the lock document sets the whole list (what is not in the history yet); a crash
 * leaves it in the lock document, where
 * the next holder finds it when it takes the lock and writes it to the history first (an entry
 * already there is refused by the unique index and left as it is). An entry in memory only (its
 * unit finished, the next lock write not sent) is lost with the process, as an entry whose
 * insert was on its way was before: the marker still names that unit, so the next run treats
 * it as interrupted.
 */
export class CarriedEntries {
  readonly #write: WriteEntries;
  /** Saved, not yet sent with a lock write. */
  #queued: Document[] = [];
  /** In the lock document, not yet in the history. */
  #carried: Document[] = [];
  /** Keys this connection saved: a second save of one (ROLLED_BACK over FAILED) is written directly. */
  readonly #keys = new Set<string>();

  constructor(write: WriteEntries) {
    this.#write = write;
  }

  /** Takes `document` (a new EXECUTED entry) to be carried; false when it must be written directly. */
  take(document: Document): boolean {
    const key = keyOf(document);
    if (document.state !== 'EXECUTED' || this.#keys.has(key)) {
      this.#keys.add(key);
      return false;
    }
    this.#keys.add(key);
    this.#queued.push(document);
    return true;
  }

  /**
   * The field of the next lock-document update: every entry not in the history yet, as one
   * canonical Extended JSON text. One string, not an array of documents: FerretDB converts and
   * rewrites every value of a document at each update, and 16 entries as documents made the
   * marker update cost three times a plain one, as one string about 1.4 times (measured).
   */
  update(): Document {
    const documents = [...this.#carried, ...this.#queued];
    return { [CARRIED_FIELD]: documents.length === 0 ? null : BSON.EJSON.stringify(documents, CANONICAL) };
  }

  /** The lock write with {@link CarriedEntries.update} succeeded; writes the carried list to the history when it is full. */
  async sent(text: unknown): Promise<void> {
    this.#carried.push(...this.#queued);
    this.#queued = [];
    const length = typeof text === 'string' ? text.length : 0;
    if (this.#carried.length >= CARRY_AT_MOST || length >= CARRY_AT_MOST_CHARS) await this.flush();
  }

  /**
   * Writes every entry not in the history yet (carried and queued) in one command: before the
   * release, before an entry written directly (the history keeps the order entries were made),
   * and before a transaction. The lock document's list is replaced by the next lock write.
   */
  async flush(): Promise<void> {
    const documents = [...this.#carried, ...this.#queued];
    if (documents.length === 0) return;
    await this.#write(documents, false);
    this.#carried = [];
    this.#queued = [];
  }

  /** A lock document taken over still carries a dead holder's entries: into the history first. */
  async recover(carried: unknown): Promise<void> {
    const documents = carriedDocuments(carried, true);
    if (documents.length > 0) await this.#write(documents, true);
  }

  /** Whether the lock document's list is all in the history (the release then empties it). */
  get flushed(): boolean {
    return this.#carried.length === 0 && this.#queued.length === 0;
  }

  /** The entries not in the history yet, oldest first, for reads made by this connection. */
  pending(): readonly Document[] {
    return [...this.#carried, ...this.#queued];
  }

  /** The run is over (the lock was released or lost): an entry not sent is not this holder's to write any more. */
  forget(): void {
    this.#queued = [];
    this.#carried = [];
    this.#keys.clear();
  }
}

/**
 * The entries a lock document's {@link CARRIED_FIELD} holds (none when it is absent or empty).
 * `exact`: BSON types as written (to insert them); otherwise plain numbers (to read them).
 */
export function carriedDocuments(value: unknown, exact = false): Document[] {
  if (typeof value !== 'string' || value === '') return [];
  const parsed: unknown = BSON.EJSON.parse(value, exact ? { relaxed: false, useBigInt64: true } : { relaxed: true });
  return Array.isArray(parsed) ? (parsed as Document[]) : [];
}

/** An entry's key in the history's unique index. */
export function keyOf(document: Document): string {
  return `${String(document.executionId)}\u0000${String(document.author)}\u0000${String(document.changeId)}`;
}
