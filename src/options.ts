/**
 * The options and results of {@linkcode FileStore}'s methods.
 *
 * @module
 */

import type { Durability } from "./_context.ts";
import type { Area } from "./_names.ts";
import type { Claim } from "./claim.ts";
import type { FileSystem } from "./file_system.ts";
import type { FileStore as _FileStore } from "./store.ts";

export type { Area, Durability };

/**
 * Options of the {@linkcode FileStore} constructor.
 *
 * @example
 * ```ts
 * import { FileStore, type FileStoreOptions } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const options: FileStoreOptions = {
 *   fs: memoryFileSystem(),
 *   durability: "none",
 *   maxAttempts: 3,
 *   keep: true,
 * };
 * const store = new FileStore("/s", options);
 * await store.prepare();
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * const f = await store.create("log", "a"); // append, creating if missing
 * await f.write("line\n");
 * await f.close();
 * ```
 */
export type CreateMode = "w" | "a" | "x";

/**
 * Options of {@linkcode FileStore.move} and {@linkcode FileStore.copy}.
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("one", { name: "x" });
 * await store.move("x", "new", "cur");
 * await store.deliver("two", { name: "x" });
 * await store.move("x", "new", "cur", { overwrite: true });
 * ```
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
 *
 * @example
 * ```ts
 * import { type DeliverData, FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * async function* chunks(): AsyncIterable<Uint8Array> {
 *   yield new TextEncoder().encode("streamed ");
 *   yield new TextEncoder().encode("in parts");
 * }
 * const data: DeliverData[] = ["text", new Uint8Array([1, 2]), chunks()];
 * for (const d of data) await store.deliver(d);
 * ```
 */
export type DeliverData =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * Options of {@linkcode FileStore.deliver}.
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * const name = await store.deliver("payload", { name: "job-1", durability: "file" });
 * console.log(name); // "job-1"
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliverMany([{ data: "a", name: "first" }, { data: "b" }]);
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliverMany(["a", "b", "c"], {
 *   durability: "full",
 *   onProgress: (done, total) => console.log(`${done}/${total}`),
 * });
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * const claim = await store.claim({ maxAttempts: 1 });
 * console.log((await claim!.fail()).dead); // true
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * for await (const claim of store.claims({ watch: false, pollInterval: 500 })) {
 *   await claim.done();
 * }
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * const stop = new AbortController();
 * await store.consume(async (claim) => {
 *   console.log(await claim.text());
 * }, { concurrency: 2, maxAttempts: 3, signal: stop.signal, onError: console.error });
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * const { handled, failed, dead, lost, settled } = await store.consume(() => {});
 * console.log(handled, failed, dead, lost, settled); // 1 0 0 0 0
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * const removed = await store.clean({ olderThan: 60 * 60_000 }); // an hour
 * console.log(removed); // []
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * const recovered = await store.recover({ olderThan: 5 * 60_000 });
 * console.log(recovered); // []
 * ```
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
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * const { count, oldestAge } = (await store.stats()).new;
 * console.log(count, oldestAge !== null); // 1 true
 * ```
 */
export interface AreaStats {
  /** Files in the area (in `tmp`, the store's own temporaries included). */
  count: number;
  /** Age of the least recently modified file, in milliseconds; `null` if none. */
  oldestAge: number | null;
}

/**
 * What {@linkcode FileStore.stats} reports, per area.
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * const stats = await store.stats();
 * console.log(stats.cur.claimed, stats.dead.count); // 0 0
 * ```
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
