// The public types of the operators' calls: entries(), requeue(), purge().
import type { Area } from "./areas.ts";

/**
 * What a file in an area is, by its area and the state its entry names:
 * `"temporary"` (in `tmp`), `"ready"` (in `new`), `"claimed"` or
 * `"finished"` (kept) in `cur`, `"waiting"` (in `wait`), `"dead"` (in
 * `dead`), or `"other"` (a file in `cur` that no claim made).
 */
export type EntryState =
  | "temporary"
  | "ready"
  | "claimed"
  | "finished"
  | "waiting"
  | "dead"
  | "other";

/** One file of an area, from {@linkcode FileStore.entries}. */
export interface EntryDetails {
  /** Its entry: the file name in the area, suffix included. */
  entry: string;
  /** The name it was delivered under. */
  name: string;
  /** Its full path. */
  path: string;
  /** The area it is in. */
  area: Area;
  /** Failed attempts so far. */
  attempts: number;
  /** What it is: by its area and what its entry says. */
  state: EntryState;
  /** Milliseconds since its latest sign of life (as `stats()` ages files). */
  age: number;
  /** Its size in bytes. */
  size: number;
  /** The reason of its last failure, or null (none kept, or lost). */
  reason: string | null;
  /** When a waiting file is due (ms since the epoch); null for others. */
  due: number | null;
}

/** Options of {@linkcode FileStore.requeue}. */
export interface RequeueOptions {
  /**
   * Start its attempts from 0 again, so the file gets all `maxAttempts`
   * tries; `false` keeps the count it had.
   *
   * @default {true}
   */
  resetAttempts?: boolean;
}

/** Options of {@linkcode FileStore.purge}. */
export interface PurgeOptions {
  /** Remove only files at least this old (milliseconds); 0 removes all. */
  olderThan: number;
}
