/**
 * The store: a directory with the areas `tmp` (being written), `new` (ready)
 * and `cur` (taken), the original gocept.filestore API with its defects
 * fixed, and the queue protocol on top. Each method checks its arguments,
 * then calls the one function that implements it (PROTOCOL.md names them).
 *
 * @module
 */

import { refuseChosenName } from "./_shared.ts";
import type { Area } from "./areas.ts";
import { InvalidAreaError } from "./errors.ts";
import {
  checkArea,
  checkBatch,
  checkConsume,
  checkData,
  checkDue,
  checkDurability,
  checkEntry,
  checkMaxAttempts,
  checkMode,
  checkMove,
  checkName,
  checkPoll,
  checkStore,
} from "./_checks.ts";
import { checkAge, MAX_DELAY } from "./_bounds.ts";
import { checkClaimEntry, claimedEntry, claimNext } from "./_claim.ts";
import { clean } from "./_clean.ts";
import { claims, consume } from "./_consume.ts";
import { type Context, entryPath } from "./_context.ts";
import { rethrow } from "./_rethrow.ts";
import { openForStream, streamFile } from "./_stream.ts";
import { openContext } from "./_open_context.ts";
import { deliver, deliverMany, deliverPlain } from "./_deliver.ts";
import * as files from "./_files.ts";
import { recover } from "./_recover.ts";
import { purge, requeue, requeueArea } from "./_requeue.ts";
import { entries } from "./_entries.ts";
import { parseEntry } from "./_entry.ts";
import type { EntryDetails, PurgeOptions, RequeueOptions } from "./details.ts";
import { stats } from "./_stats.ts";
import type { Claim } from "./claim.ts";
import type {
  BatchFile,
  ClaimOneOptions,
  ClaimOptions,
  ClaimsOptions,
  CleanOptions,
  ConsumeOptions,
  ConsumeResult,
  CreateMode,
  DeliverData,
  DeliverManyOptions,
  DeliverOptions,
  FileStoreOptions,
  MoveOptions,
  RecoverOptions,
  StoreStats,
} from "./options.ts";
import { newStoreFile, type StoreFile } from "./store_file.ts";

const HOUR = 3_600_000;

/**
 * A directory through which processes hand files to each other, safely and
 * without locks: a writer creates a file in `tmp` and publishes it to `new`
 * in one atomic step; a reader sees only complete files in `new` and takes
 * one by moving it to `cur`.
 *
 * @example The original scenario
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/store", { fs: memoryFileSystem() });
 * await store.prepare();
 * const f = await store.create("a-file");
 * await f.write("Die Ente bleibt draussen!");
 * await f.close();
 * assert.deepEqual(await store.list("tmp"), ["/store/tmp/a-file"]);
 * await store.move("a-file", "tmp", "new");
 * await store.copy("a-file", "new", "cur");
 * await store.remove("a-file", "new");
 * const text = new TextDecoder().decode(await store.read("a-file", "cur"));
 * assert.equal(text, "Die Ente bleibt draussen!");
 * ```
 */
export class FileStore {
  /** The store's directory, as given (without trailing separators). */
  readonly path: string;
  #options: FileStoreOptions;
  #ctx: Context | undefined;
  #loading: Promise<Context> | undefined;

  /**
   * Describes a store; does no I/O (see {@linkcode FileStore.prepare}).
   *
   * @param path The store's directory.
   * @param options Backend, durability, retry limit, modes.
   * @throws {TypeError} An argument has the wrong type or an invalid value.
   */
  constructor(path: string, options: FileStoreOptions = {}) {
    checkStore(path, options);
    this.path = path.length > 1 ? path.replace(/[/\\]+$/, "") || "/" : path;
    this.#options = options;
  }

  #context(): Context | Promise<Context> {
    return this.#ctx ?? (this.#loading ??= this.#load());
  }

  async #load(): Promise<Context> {
    try {
      return this.#ctx = await openContext(this.path, this.#options);
    } finally {
      this.#loading = undefined;
    }
  }

  /**
   * Creates the store's directory (with missing parents) and its areas
   * `tmp`, `new` and `cur`. Idempotent; safe to run in several processes.
   *
   * @throws {NotADirectoryError} A file or a symbolic link stands where the
   * directory or an area should be.
   * @throws {FileStoreError} The directories cannot be made.
   */
  async prepare(): Promise<void> {
    await files.prepare(await this.#context());
  }

  /**
   * Opens `tmp/<name>` for writing.
   *
   * @param name The file's name: one path segment.
   * @param mode `"w"` creates or truncates, `"a"` creates or appends, `"x"`
   * creates and fails if the file exists.
   * @returns The open file.
   * @throws {InvalidNameError} The name is not acceptable (nothing touched).
   * @throws {AlreadyExistsError} Mode `"x"` and the file exists.
   * @throws {NotFoundError} The store is not prepared.
   */
  async create(name: string, mode: CreateMode = "w"): Promise<StoreFile> {
    checkName(name);
    checkMode(mode);
    const ctx = await this.#context();
    return newStoreFile(ctx, name, await files.create(ctx, name, mode));
  }

  /**
   * Lists an area: full paths of its regular files (no dotfiles, links or
   * directories), in UTF-8 byte order; `dead` lists empty until it exists.
   *
   * @param area `"tmp"`, `"new"`, `"cur"` or `"dead"`.
   * @returns Full paths of the files.
   * @throws {InvalidAreaError} Not an area (nothing touched).
   * @throws {NotFoundError} The store is not prepared.
   */
  async list(area: Area): Promise<string[]> {
    checkArea(area);
    return await files.list(await this.#context(), area);
  }

  /**
   * Walks an area without holding its listing: the full path of each file as
   * the directory is read, unsorted. Memory stays flat where the runtime
   * reads a directory in pieces (Node; Deno and Bun read it whole). Files
   * renamed meanwhile may be missed or seen twice.
   *
   * @param area `"tmp"`, `"new"`, `"cur"` or `"dead"`.
   * @returns The full paths.
   * @throws {InvalidAreaError} Not an area (nothing touched).
   * @throws {NotFoundError} The store is not prepared.
   */
  async *walk(area: Area): AsyncIterable<string> {
    checkArea(area);
    yield* files.walk(await this.#context(), area);
  }

  /**
   * Walks an area like {@linkcode FileStore.walk}, with each file's details:
   * its entry, the name it was delivered under, attempts, state, age, size,
   * the reason of its last failure and, for a waiting file, when it is due.
   *
   * @param area Any area.
   * @returns The files' details, in directory order.
   * @throws {InvalidAreaError} Not an area (nothing touched).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * await store.deliver("x", { name: "x" });
   * await (await store.claim({ maxAttempts: 1 }))!.fail(new Error("no route"));
   * const [dead] = await Array.fromAsync(store.entries("dead")); // Node 22+
   * assert.deepEqual(
   *   [dead!.name, dead!.attempts, dead!.state, dead!.reason, dead!.size],
   *   ["x", 1, "dead", "no route", 1],
   * );
   * const again = await store.requeue(dead!.entry); // attempts from 0
   * assert.match(again, /^\/s\/new\/x~0\.r\./);
   * ```
   */
  async *entries(area: Area): AsyncIterable<EntryDetails> {
    checkArea(area);
    yield* entries(await this.#context(), area);
  }

  /**
   * Moves a dead letter (or a finished file kept in `cur`) back to `new`,
   * as one rename that never replaces; its reason stays with it until it is
   * handled.
   *
   * @param entry Its entry in `dead` (or `cur`), or its full path.
   * @param options `resetAttempts` (default true) starts its count afresh.
   * @returns Its path in `new`.
   * @throws {InvalidNameError} Not a dead letter or a kept file.
   * @throws {NotFoundError} It is not there (requeued or purged already).
   */
  async requeue(entry: string, options: RequeueOptions = {}): Promise<string> {
    const name = checkEntry(entry);
    const info = parseEntry(name);
    requeueArea(name, info);
    return await requeue(
      await this.#context(),
      name,
      info,
      options.resetAttempts ?? true,
    );
  }

  /**
   * Removes the dead letters, or the finished files kept in `cur` (never a
   * claim), older than `olderThan`, with their reasons.
   *
   * @param area `"dead"` or `"cur"`.
   * @param options `olderThan` in milliseconds (0: all of them).
   * @returns The paths removed.
   * @throws {InvalidAreaError} Another area (nothing touched).
   */
  async purge(area: "dead" | "cur", options: PurgeOptions): Promise<string[]> {
    if (area !== "dead" && area !== "cur") {
      throw new InvalidAreaError(
        `Cannot purge '${String(area)}': only 'dead' and 'cur' (kept files)`,
      );
    }
    const olderThan = checkAge(options?.olderThan, "olderThan");
    return await purge(await this.#context(), area, olderThan);
  }

  /**
   * Moves a file to another area in one atomic step; refuses to replace one
   * of the same name unless `overwrite` is set.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param from The area it is in.
   * @param to The area it goes to.
   * @param options `overwrite` replaces an existing target.
   * @throws {AlreadyExistsError} The target exists (nothing changed).
   * @throws {NotFoundError} The file does not exist.
   * @throws {NotSupportedError} The store is `shared` with
   * `exclusiveNames: false`, and `overwrite` is not set: a target name
   * cannot be made exclusive there (nothing touched).
   */
  async move(
    name: string,
    from: Area,
    to: Area,
    options: MoveOptions = {},
  ): Promise<void> {
    const entry = checkMove(name, from, to);
    const ctx = await this.#context();
    if (!options.overwrite) refuseChosenName(ctx, `move '${entry}' to '${to}'`);
    await files.move(ctx, entry, from, to, options);
  }

  /**
   * Copies a file to another area: written under a temporary name in `tmp`
   * and published in one atomic step, so no reader sees half of it.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param from The area it is in.
   * @param to The area the copy goes to.
   * @param options `overwrite` replaces an existing target.
   * @throws {AlreadyExistsError} The target exists (nothing changed).
   * @throws {NotFoundError} The file does not exist.
   * @throws {NotSupportedError} The store is `shared` with
   * `exclusiveNames: false`, and `overwrite` is not set: a target name
   * cannot be made exclusive there (nothing touched).
   */
  async copy(
    name: string,
    from: Area,
    to: Area,
    options: MoveOptions = {},
  ): Promise<void> {
    const entry = checkMove(name, from, to);
    const ctx = await this.#context();
    if (!options.overwrite) refuseChosenName(ctx, `copy '${entry}' to '${to}'`);
    await files.copy(ctx, entry, from, to, options);
  }

  /**
   * Removes a file from an area.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param area The area it is in.
   * @throws {NotFoundError} The file does not exist.
   * @throws {NotAFileError} The entry is a directory.
   */
  async remove(name: string, area: Area): Promise<void> {
    const entry = checkEntry(name);
    checkArea(area);
    await files.remove(await this.#context(), entry, area);
  }

  /**
   * Reads a whole file. Symbolic links are refused, never followed.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param area The area it is in.
   * @returns The bytes.
   * @throws {NotFoundError} The file does not exist.
   * @throws {NotAFileError} The entry is a directory or a symbolic link.
   */
  async read(name: string, area: Area): Promise<Uint8Array> {
    const entry = checkEntry(name);
    checkArea(area);
    return await files.read(await this.#context(), entry, area);
  }

  /**
   * Streams a file in chunks of 64 KiB, for files too large to read whole.
   * Like {@linkcode FileStore.read}, it opens only a regular file and never
   * follows a link.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param area The area it is in.
   * @returns The file's bytes; a failure errors the stream.
   */
  stream(name: string, area: Area): ReadableStream<Uint8Array> {
    const entry = checkEntry(name);
    checkArea(area);
    return streamFile(
      async () => {
        const ctx = await this.#context();
        return await openForStream(ctx.fs, entryPath(ctx, area, entry));
      },
      (err) =>
        rethrow(
          err,
          `Cannot read '${entry}' from '${area}'`,
          `${area}/${entry}`,
        ),
    );
  }

  /**
   * Delivers a file into `new`: writes it under a temporary name in `tmp`,
   * fsyncs it, publishes it, and fsyncs `new`. A generated name is unique by
   * construction and published with one rename; an explicit name is
   * published with a hard link, which never replaces a file waiting under
   * that name. The file appears in `new` complete or not at all.
   *
   * @param data The content: text (as UTF-8), bytes, or a stream of bytes
   * (written chunk by chunk, never held whole in memory).
   * @param options An explicit name, durability.
   * @returns The file's name in `new`.
   * @throws {AlreadyExistsError} `options.name` is waiting in `new` (nothing
   * changed).
   * @throws {NotSupportedError} The store is `shared` with
   * `exclusiveNames: false`, and `options.name` is given: a chosen name
   * cannot be made exclusive there (nothing touched).
   * @throws {NotDurableError} The file was delivered, but `new` could not be
   * fsynced: do not deliver it again.
   * @throws {FileStoreError} The delivery failed; nothing was delivered and
   * nothing is left in `tmp`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AlreadyExistsError, FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * const name = await store.deliver("payload");
   * assert.deepEqual(await store.list("new"), [`/s/new/${name}`]);
   * await store.deliver("one", { name: "job-1" });
   * await assert.rejects(store.deliver("two", { name: "job-1" }), AlreadyExistsError);
   * assert.deepEqual(await store.list("tmp"), []);
   * ```
   */
  async deliver(
    data: DeliverData,
    options: DeliverOptions = {},
  ): Promise<string> {
    checkData(data);
    const durability = checkDurability(options.durability);
    const name = options.name === undefined
      ? undefined
      : checkName(options.name);
    const ctx = this.#ctx ?? await this.#context();
    if (name !== undefined) refuseChosenName(ctx, `deliver '${name}'`);
    const due = checkDue(options, ctx.now);
    const level = durability ?? ctx.durability;
    if (
      name === undefined && due === undefined && level === "none" &&
      (typeof data === "string" || data instanceof Uint8Array)
    ) {
      return deliverPlain(ctx, data);
    }
    return await deliver(ctx, data, name, level, due);
  }

  /**
   * Delivers many files with one directory fsync for the whole batch: all
   * are written and fsynced in `tmp` (the fsyncs issued together), then
   * published, then `new` is fsynced once.
   *
   * @param files The contents, each with an optional explicit name.
   * @param options Durability, and a callback after each published file.
   * @returns The names in `new`, in the order given.
   * @throws {TypeError} `files` is not an iterable of contents (a string is
   * not a batch).
   * @throws {FileStoreError} A file could not be written: nothing delivered,
   * nothing left in `tmp`.
   * @throws {PartialDeliveryError} A file could not be published after
   * others were: they stay delivered (`delivered` names them), the rest not.
   * @throws {NotDurableError} All were delivered, but `new` could not be
   * fsynced: do not deliver them again.
   * @throws {NotSupportedError} The store is `shared` with
   * `exclusiveNames: false`, and a file has a name: a chosen name cannot
   * be made exclusive there (nothing touched).
   */
  async deliverMany(
    files: Iterable<DeliverData | BatchFile>,
    options: DeliverManyOptions = {},
  ): Promise<string[]> {
    const items = checkBatch(files);
    const durability = checkDurability(options.durability);
    const ctx = await this.#context();
    const named = items.find((item) => item.name !== undefined);
    if (named) refuseChosenName(ctx, `deliver '${named.name}'`);
    const due = checkDue(options, ctx.now);
    return await deliverMany(
      ctx,
      items,
      durability ?? ctx.durability,
      options,
      due,
    );
  }

  /**
   * Takes the first file of `new` in claim order (by name in UTF-8 byte
   * order, then attempts) with one rename into `cur`, to a name carrying a
   * new token of this process. Of any number of claimers one gets each file;
   * a loser of a race moves on to the next.
   *
   * Candidates come from one listing of `new`, re-read when they run out or
   * when a file goes back; a file arriving meanwhile waits for the next.
   *
   * @param options The retry limit for this claim's `fail()`; `detached`
   * and `lease` for a claim that outlives this process.
   * @returns The claim, or `null` when `new` has no file.
   * @throws {FileStoreError} Any failure other than a lost race.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * await store.deliver("b", { name: "b" });
   * await store.deliver("a", { name: "a" });
   * const first = await store.claim({ maxAttempts: 1 });
   * assert.equal(first?.name, "a");
   * assert.equal((await first!.fail(new Error("no"))).dead, true);
   * assert.equal((await store.claim())?.name, "b");
   * ```
   */
  claim(options: ClaimOneOptions = {}): Promise<Claim | null> {
    // (no async frame: the common claim settles as soon as its calls do)
    let max: number | undefined, lease: number | undefined;
    try {
      max = checkMaxAttempts(options.maxAttempts);
      lease = options.lease === undefined
        ? undefined
        : checkAge(options.lease, "lease", MAX_DELAY);
    } catch (err) {
      return Promise.reject(err);
    }
    const ctx = this.#ctx;
    if (ctx === undefined) {
      return Promise.resolve(this.#context()).then(() => this.claim(options));
    }
    return claimNext(
      ctx,
      max ?? ctx.maxAttempts,
      options.detached === true,
      lease === undefined ? 0 : Math.max(0, lease - ctx.lease),
    );
  }

  /**
   * Turns the entry name (or path) printed for a claim back into a
   * {@linkcode Claim}, so another process (a shell script, the CLI) can
   * finish it.
   *
   * @param entry The claim's entry name in `cur`, or its full path.
   * @param options The retry limit for the claim's `fail()`.
   * @returns The claim.
   * @throws {InvalidNameError} The entry is not a claim.
   * @throws {ClaimLostError} It is no longer in `cur`.
   */
  async claimed(entry: string, options: ClaimOptions = {}): Promise<Claim> {
    const name = checkEntry(entry);
    const max = checkMaxAttempts(options.maxAttempts);
    const info = checkClaimEntry(name);
    const ctx = await this.#context();
    return await claimedEntry(ctx, name, info, max ?? ctx.maxAttempts);
  }

  /**
   * Claims files one after another, as an async iterator. The caller
   * finishes each claim (`done`, `release` or `fail`) before the next.
   *
   * @param options Stop signal, watching, poll interval, retry limit.
   * @returns The claims.
   * @throws {TypeError} `pollInterval` is not from 0 to 2^31 - 1 ms.
   */
  async *claims(options: ClaimsOptions = {}): AsyncIterable<Claim> {
    const poll = checkPoll(options.pollInterval);
    const max = checkMaxAttempts(options.maxAttempts);
    const ctx = await this.#context();
    yield* claims(
      ctx,
      () => claimNext(ctx, max ?? ctx.maxAttempts),
      options,
      poll,
    );
  }

  /**
   * Runs `handler` for each file: claims it, calls the handler, finishes the
   * claim when the handler resolves and fails it (retry, then dead letter)
   * when it throws, unless the handler settled it itself. Running out of
   * file descriptors is back-pressure: the claim is released, no attempt
   * counted.
   *
   * @param handler The work for one file.
   * @param options Concurrency, stop signal, watching, retry limit.
   * @returns How many files were handled, failed, dead-lettered and lost.
   * @throws {FileStoreError} A claim could not be made, finished or failed;
   * running handlers are let finish first.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * await store.deliver("ok");
   * await store.deliver("bad");
   * const errors: unknown[] = [];
   * const result = await store.consume(async (claim) => {
   *   if ((await claim.text()) === "bad") throw new Error("cannot handle");
   * }, { maxAttempts: 1, onError: (err) => errors.push(err) });
   * assert.deepEqual(result, { handled: 1, failed: 1, dead: 1, lost: 0, settled: 0 });
   * assert.equal(errors.length, 1);
   * assert.equal((await store.list("dead")).length, 1);
   * ```
   */
  async consume(
    handler: (claim: Claim) => unknown,
    options: ConsumeOptions = {},
  ): Promise<ConsumeResult> {
    const concurrency = checkConsume(handler, options);
    const ctx = await this.#context();
    return await consume(
      {
        claims: (signal) => this.claims({ ...options, signal }),
        housekeep: async (lease) => {
          await this.recover({ olderThan: lease });
          await this.clean();
        },
        lease: ctx.lease,
        backoff: ctx.backoff,
      },
      handler,
      options,
      concurrency,
    );
  }

  /**
   * Removes files in `tmp` untouched for longer than `olderThan` (judged by
   * the later of their mtime and ctime): the leftovers of writers that died.
   *
   * @param options The age limit.
   * @returns Full paths of the removed files.
   */
  async clean(options: CleanOptions = {}): Promise<string[]> {
    const olderThan = checkAge(options.olderThan ?? 36 * HOUR, "olderThan");
    return await clean(await this.#context(), olderThan, options);
  }

  /**
   * Returns abandoned claims to `new`: claims untouched for longer than
   * `olderThan`, and claims of a dead process of this host (same boot and
   * pid namespace). Each counts as a failed attempt (a file that kills its
   * consumer ends in `dead`) and is one rename: recoverers and holders may
   * race, one wins. Finished files and a user's own files in `cur` are never
   * touched. A claim that cannot be moved does not stop the others; the
   * first such failure is thrown at the end.
   *
   * @param options The age limit.
   * @returns Full paths of the recovered files where they are now.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * let now = Date.now();
   * const store = new FileStore("/s", { fs: memoryFileSystem(), now: () => now });
   * await store.prepare();
   * await store.deliver("x", { name: "x" });
   * const claim = await store.claim();
   * assert.deepEqual(await store.recover(), []); // still young
   * now += 11 * 60_000;
   * const [back] = await store.recover();
   * assert.match(back!, /^\/s\/wait\/\w+\/\w+\/x~1\.w\./); // waits for its retry
   * await assert.rejects(claim!.done(), { code: "CLAIM_LOST" });
   * ```
   */
  async recover(options: RecoverOptions = {}): Promise<string[]> {
    const ctx = await this.#context();
    const olderThan = checkAge(options.olderThan ?? ctx.lease, "olderThan");
    return await recover(ctx, olderThan, options);
  }

  /**
   * Counts the files of each area, the age of the oldest, and the entries
   * the queue does not take (`ignored`).
   *
   * @returns Counts and ages per area; the dead-letter area counts zero
   * until it exists.
   */
  async stats(): Promise<StoreStats> {
    return await stats(await this.#context());
  }
}
