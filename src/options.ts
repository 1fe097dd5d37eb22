/**
 * The options and results of {@linkcode FileStore}'s methods.
 *
 * @module
 */

import type { Claim } from "./claim.ts";
import type { Durability } from "./durability.ts";
import type { FileSystem } from "./file_system.ts";

/**
 * Options of the {@linkcode FileStore} constructor.
 */
export interface FileStoreOptions {
  /**
   * The filesystem backend.
   *
   * @default {the backend of the runtime: Deno's under Deno, `node:fs` under Node and Bun}
   */
  fs?: FileSystem;
  /**
   * What a change must survive: `"full"` fsyncs the file and the directory
   * (a power cut loses nothing acknowledged), `"file"` only the file's data,
   * `"none"` nothing (fast; a power cut may lose recent changes).
   *
   * @default {"full"}
   */
  durability?: Durability;
  /**
   * Failed attempts after which `fail()` moves a file to the dead-letter
   * area `dead` instead of back to `new` (1 to 999).
   *
   * @default {5}
   */
  maxAttempts?: number;
  /**
   * Keep finished files in `cur`, marked finished, instead of removing them.
   *
   * @default {false}
   */
  keep?: boolean;
  /**
   * The permission bits of what the store creates, for a spool shared by
   * several users (PROTOCOL.md, section 1): `directories` for the areas
   * `prepare()` makes and `dead` (for example `0o2775`: group-writable,
   * setgid, so files keep the group), `files` for delivered and created files
   * (for example `0o664`). Set exactly, whatever the umask (under Deno the
   * umask still applies to files: Deno has no `fchmod`).
   *
   * @default {what the umask leaves of 0o777 and 0o666}
   */
  mode?: { directories?: number; files?: number };
  /**
   * The clock, in milliseconds since the epoch: when claims start, and what
   * `recover()`, `clean()` and `stats()` measure ages against (tests can
   * move it).
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * Options of {@linkcode FileStore.create}.
 */
export type CreateMode = "w" | "a" | "x";

/**
 * Options of {@linkcode FileStore.move} and {@linkcode FileStore.copy}.
 */
export interface MoveOptions {
  /**
   * Replace a file of the same name in the target area.
   *
   * @default {false}
   */
  overwrite?: boolean;
}

/**
 * The data {@linkcode FileStore.deliver} accepts.
 */
export type DeliverData =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * Options of {@linkcode FileStore.deliver}.
 */
export interface DeliverOptions {
  /**
   * The name in `new`; refused with `AlreadyExistsError` if a file of that
   * name is waiting there.
   *
   * @default {a generated unique name}
   */
  name?: string;
  /**
   * What the delivery must survive.
   *
   * @default {the store's durability}
   */
  durability?: Durability;
}

/**
 * One file of {@linkcode FileStore.deliverMany}, with an explicit name.
 */
export interface BatchFile {
  /** The content. */
  data: DeliverData;
  /**
   * The name in `new`.
   *
   * @default {a generated unique name}
   */
  name?: string;
}

/**
 * Options of {@linkcode FileStore.deliverMany}.
 */
export interface DeliverManyOptions {
  /**
   * What the deliveries must survive.
   *
   * @default {the store's durability}
   */
  durability?: Durability;
  /**
   * Called after each file is published, with how many of how many.
   *
   * @default {undefined}
   */
  onProgress?: (delivered: number, total: number) => void;
}

/**
 * Options of {@linkcode FileStore.claim} and {@linkcode FileStore.claims}.
 */
export interface ClaimOptions {
  /**
   * Failed attempts after which the claim's `fail()` moves the file to the
   * dead-letter area.
   *
   * @default {the store's maxAttempts}
   */
  maxAttempts?: number;
}

/**
 * Options of {@linkcode FileStore.claims}.
 */
export interface ClaimsOptions extends ClaimOptions {
  /**
   * Stops the iteration (before the next claim).
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Keep waiting for new files instead of ending when `new` is empty.
   *
   * @default {false}
   */
  watch?: boolean;
  /**
   * While watching, rescan `new` at least this often (milliseconds), because
   * file watching can miss changes or be unavailable.
   *
   * @default {1000}
   */
  pollInterval?: number;
}

/**
 * Options of {@linkcode FileStore.consume}.
 */
export interface ConsumeOptions extends ClaimsOptions {
  /**
   * How many handlers run at once.
   *
   * @default {1}
   */
  concurrency?: number;
  /**
   * Called with the error of each handler that throws, before its claim is
   * failed.
   *
   * @default {undefined}
   */
  onError?: (error: unknown, claim: Claim) => void;
}

/**
 * What {@linkcode FileStore.consume} did.
 */
export interface ConsumeResult {
  /** Files whose handler resolved and which were finished. */
  handled: number;
  /** Files whose handler threw (each returned to `new` or dead-lettered). */
  failed: number;
  /** Of the failed files, those moved to the dead-letter area. */
  dead: number;
  /** Claims lost under a running handler (recovered by another process). */
  lost: number;
  /** Claims the handler settled itself (`done`, `release` or `fail`). */
  settled: number;
}

/**
 * Options of {@linkcode FileStore.clean}.
 */
export interface CleanOptions {
  /**
   * Remove files in `tmp` untouched for longer than this (milliseconds).
   *
   * @default {129600000 (36 hours, the maildir rule)}
   */
  olderThan?: number;
  /**
   * Called after each file is checked, with how many of how many.
   *
   * @default {undefined}
   */
  onProgress?: (checked: number, total: number) => void;
}

/**
 * Options of {@linkcode FileStore.recover}.
 */
export interface RecoverOptions {
  /**
   * Recover claims not touched for longer than this (milliseconds); claims
   * of a dead process of this host are recovered whatever their age.
   *
   * @default {600000 (10 minutes)}
   */
  olderThan?: number;
  /**
   * Called after each claim is checked, with how many of how many.
   *
   * @default {undefined}
   */
  onProgress?: (checked: number, total: number) => void;
}

/**
 * Counts of one area, from {@linkcode FileStore.stats}.
 */
export interface AreaStats {
  /** Files in the area (in `tmp`, the store's own temporaries included). */
  count: number;
  /**
   * Entries the queue does not take: symbolic links, directories, devices,
   * dotfiles (outside `tmp`), names that are not UTF-8, and names in `new`
   * too long to claim. Only another tool can put them there; they stay where
   * they are, for an operator to see.
   */
  ignored: number;
  /**
   * Age of the file least recently touched (the later of its mtime and
   * ctime), in milliseconds; `null` if none.
   */
  oldestAge: number | null;
}

/**
 * What {@linkcode FileStore.stats} reports, per area.
 */
export interface StoreStats {
  /** Files being written. */
  tmp: AreaStats;
  /** Files waiting. */
  new: AreaStats;
  /** Files taken: claims, finished files kept, and files moved there. */
  cur: AreaStats & { claimed: number; finished: number };
  /** Dead letters. */
  dead: AreaStats;
}
