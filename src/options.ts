/**
 * The options and results of {@linkcode FileStore}'s methods.
 *
 * @module
 */

import type { Claim, FailResult } from "./claim.ts";
import type { Durability } from "./durability.ts";
import type { FileSystem } from "./file_system.ts";

/**
 * How long a failed file waits before its next attempt: exponential
 * (`initial` milliseconds, `factor` times longer after each failure, at most
 * `max`, up to the fraction `jitter` shorter at random; `true` is 0.2), a
 * function of the failed attempts so far giving milliseconds, or `false` for
 * no wait.
 */
export type Backoff =
  | false
  | ((attempts: number) => number)
  | BackoffOptions;

/** The exponential form of {@linkcode Backoff}. */
export interface BackoffOptions {
  /**
   * The wait after the first failure, in milliseconds.
   *
   * @default {15000}
   */
  initial?: number;
  /**
   * How much longer each next wait is.
   *
   * @default {3}
   */
  factor?: number;
  /**
   * The longest wait, in milliseconds.
   *
   * @default {3600000}
   */
  max?: number;
  /**
   * Up to this fraction shorter at random (`true`: 0.2, `false`: 0).
   *
   * @default {0.2}
   */
  jitter?: boolean | number;
}

/**
 * Options of the {@linkcode FileStore} constructor.
 */
export interface FileStoreOptions {
  /**
   * Told, once per process and message, what the backend cannot do here
   * that weakens a guarantee (`FileSystem.limitations`: Deno without
   * `--allow-sys=hostname` or without reading `/proc`).
   *
   * @default {console.warn, prefixed "filestore: "}
   */
  onWarning?: (message: string) => void;
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
   * How long a failed or recovered file waits before its next attempt. The
   * default retries after about 15 s, 45 s, 2¼ min and 6¾ min (each up to a
   * fifth shorter), so with 5 attempts an outage of five minutes
   * dead-letters nothing.
   *
   * @default {{ initial: 15000, factor: 3, max: 3600000, jitter: 0.2 }}
   */
  backoff?: Backoff;
  /**
   * How long a claim stays valid without renewal, in milliseconds:
   * `recover()` without `olderThan` takes back claims older than this, and
   * `consume()` renews its claims well within it while their handlers run.
   *
   * @default {600000}
   */
  lease?: number;
  /**
   * The store is shared between hosts through a network filesystem
   * (README, "Sharing a store between hosts"). `true`: every end of a claim
   * (`done()`, `release()`, `fail()`) begins with a rename, the one call no
   * client cache can report as done when another host took the file
   * meanwhile. `{ exclusiveNames: false }` as well refuses names the caller
   * chooses (`deliver()` and `deliverMany()` with `name`, `move()` and
   * `copy()` without `overwrite`) with `NotSupportedError`, for filesystems
   * that cannot make a name exclusive (GlusterFS distributed volumes).
   *
   * @default {false}
   */
  shared?: boolean | { exclusiveNames?: boolean };
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
  /**
   * Hold the file back for this many milliseconds: it waits in `wait` and
   * cannot be claimed before then.
   *
   * @default {0}
   */
  delay?: number;
  /**
   * Hold the file back until this time (a `Date`, or milliseconds since the
   * epoch); with `delay`, the later of the two.
   *
   * @default {undefined}
   */
  at?: Date | number;
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
  /**
   * Hold the file back for this many milliseconds: it waits in `wait` and
   * cannot be claimed before then.
   *
   * @default {0}
   */
  delay?: number;
  /**
   * Hold the file back until this time (a `Date`, or milliseconds since the
   * epoch); with `delay`, the later of the two.
   *
   * @default {undefined}
   */
  at?: Date | number;
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
 * Options of {@linkcode FileStore.claim}.
 */
export interface ClaimOneOptions extends ClaimOptions {
  /**
   * The claim outlives this process: it is recovered by its age only, never
   * because the process that made it ended (the CLI's `claim`, whose
   * process exits at once, makes such claims). Another process finishes it
   * with {@linkcode FileStore.claimed}.
   *
   * @default {false}
   */
  detached?: boolean;
  /**
   * How long the claim stays valid before its first renewal (`touch()`),
   * in milliseconds, where that is longer than the store's `lease`: its
   * token's time is set that much later, so recoverers whose lease is the
   * store's take it back only after `lease`. A renewal then counts for the
   * recoverers' lease.
   *
   * @default {the store's lease}
   */
  lease?: number;
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
   * Called with the error of each handler that throws or times out, after
   * its claim was failed, with what the failure did (`result`: where the
   * file went, when it retries); with the `ClaimLostError` of a claim lost
   * meanwhile; and with a failure of the housekeeping (claim `undefined`).
   *
   * @default {one line on the console's error stream per error: the file,
   * its attempt, the error, and when it retries or that it is dead; pass
   * `() => {}` to keep quiet}
   */
  onError?: (
    error: unknown,
    claim: Claim | undefined,
    result?: FailResult,
  ) => void;
  /**
   * The wait before a failed file's next attempt.
   *
   * @default {the store's backoff}
   */
  backoff?: Backoff;
  /**
   * How long a claim is valid without renewal; consume() renews each claim
   * every third of it while its handler runs, so no `recover()` anywhere
   * takes a live claim.
   *
   * @default {the store's lease}
   */
  lease?: number;
  /**
   * The most a handler may take, in milliseconds: then its claim's `signal`
   * aborts and the claim is failed (an attempt, with the timeout as the
   * reason), whether or not the handler returns.
   *
   * @default {undefined: no limit}
   */
  timeout?: number;
  /**
   * After a stop (`signal`), how long running handlers may go on before
   * their claims' `signal` aborts; a handler still running a second after
   * that has its claim released (not failed) and is not waited for.
   *
   * @default {10000}
   */
  grace?: number;
  /**
   * Run `recover()` and `clean()` at the start and then every `interval`
   * milliseconds while consuming, so that a consumer alone keeps the store
   * healthy; `false` leaves it to a cron job.
   *
   * @default {{ interval: 60000 }}
   */
  housekeeping?: false | { interval?: number };
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
  /** Delayed deliveries and retries not due yet, and when the next is. */
  wait: AreaStats & { nextDue: number | null };
  /** Dead letters. */
  dead: AreaStats;
}
