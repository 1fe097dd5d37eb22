// The candidate cache of claims (PROTOCOL.md, Claim step 1): one listing of
// `new` in claim order, taken from until it runs out, shared by concurrent
// claims of one store, and dropped when a file goes back to `new` so that
// the next claim sees it in its place.
import { MAX_ENTRY_BYTES } from "./areas.ts";
import {
  compareUtf8,
  MAX_INFO_BYTES,
  parseEntry,
  utf16IsUtf8Order,
} from "./_entry.ts";

const encoder = new TextEncoder();

// A name too long to take the claim suffix cannot be claimed: only another
// tool can put one into `new`, and it stays there.
export function claimable(name: string): boolean {
  const room = MAX_ENTRY_BYTES - MAX_INFO_BYTES;
  return name.length * 3 <= room || encoder.encode(name).length <= room;
}

/**
 * The entries of `new` that can be claimed at `now`, in claim order: by
 * name in UTF-8 byte order, then attempts, then the whole entry; entries
 * waiting for a due time after `now` are left out. `entries` may be sorted
 * in place.
 */
export function claimOrder(entries: string[], now: number): string[] {
  const plain = entries.every((e) => !e.includes("~"));
  if (plain && entries.every(utf16IsUtf8Order)) {
    // Nothing was retried and no name needs the slow comparison. Sorted in
    // place where all can be claimed: a copy of 100,000 names raised Bun's
    // drain by 9 MiB.
    return (entries.every(claimable) ? entries : entries.filter(claimable))
      .sort();
  }
  const keyed: { entry: string; name: string; attempts: number }[] = [];
  for (const entry of entries) {
    const info = parseEntry(entry);
    if (!claimable(info.name)) continue;
    if (info.due !== undefined && info.due > now) continue;
    keyed.push({ entry, name: info.name, attempts: info.attempts });
  }
  keyed.sort((a, b) =>
    compareUtf8(a.name, b.name) || a.attempts - b.attempts ||
    compareUtf8(a.entry, b.entry)
  );
  return keyed.map((k) => k.entry);
}

/** The listing claims take their candidates from. */
export class Candidates {
  #read: () => Promise<string[]>;
  // In reverse claim order: the next candidate is the last.
  #next: string[] = [];
  #listing: Promise<void> | undefined;
  #generation = 0;

  /** @param read Lists `new` in claim order. */
  constructor(read: () => Promise<string[]>) {
    this.#read = read;
  }

  /** The next candidate of the current listing, if any is left. */
  take(): string | undefined {
    return this.#next.pop();
  }

  /**
   * Reads `new` anew. Concurrent callers share one listing instead of each
   * reading the directory.
   */
  refill(): Promise<void> {
    return this.#listing ??= (async () => {
      const generation = this.#generation;
      try {
        const entries = await this.#read();
        // A file that went back meanwhile may be missing: keep it empty.
        if (generation === this.#generation) this.#next = entries.reverse();
      } finally {
        this.#listing = undefined;
      }
    })();
  }

  /** Drops the listing: a file went back to `new` and may come first. */
  invalidate(): void {
    this.#next = [];
    this.#generation++;
  }
}
