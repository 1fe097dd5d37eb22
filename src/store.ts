/**
 * The store: a directory with the areas `tmp` (being written), `new` (ready)
 * and `cur` (taken), the original gocept.filestore API with its defects
 * fixed, and the queue protocol on top.
 *
 * @module
 */

import {
  areaPath,
  chunksFrom,
  type Context,
  type Durability,
  entryPath,
  fail,
  makeDeadArea,
  publish,
  quietly,
  syncAfter,
  syncArea,
} from "./_context.ts";
import { defaultFileSystem } from "./_default_fs.ts";
import {
  type Area,
  checkArea,
  checkEntry,
  checkName,
  MAX_ENTRY_BYTES,
  NameGenerator,
  ownedEntry,
  parseEntry,
  RESERVED_BYTES,
} from "./_names.ts";
import { Claim } from "./claim.ts";
import {
  AlreadyExistsError,
  ClaimLostError,
  FileStoreError,
  InvalidNameError,
  NotADirectoryError,
  NotAFileError,
  NotDurableError,
  NotFoundError,
} from "./errors.ts";
import type { DirEntry, FileHandle, FileInfo } from "./file_system.ts";
import { StoreFile } from "./store_file.ts";

import {
  BATCH_OPEN,
  checkAge,
  checkCount,
  checkDurability,
  encoder,
  HOUR,
  isBatchFile,
  isBytesSource,
  partial,
  syncAll,
  Waiter,
  write,
} from "./_store_support.ts";
import type {
  AreaStats,
  BatchFile,
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

// What a listing shows of an area: regular files that are not dotfiles.
const listed = (e: DirEntry): boolean => e.isFile && e.name[0] !== ".";

/**
 * A directory through which processes hand files to each other, safely and
 * without locks: a writer creates a file in `tmp` and publishes it to `new`
 * in one atomic step; a reader sees only complete files in `new` and takes
 * one by moving it to `cur`.
 *
 * @example The original scenario
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/store", { fs: memoryFileSystem() });
 * await store.prepare();
 * const f = await store.create("a-file");
 * await f.write("Die Ente bleibt draussen!");
 * await f.close();
 * console.log(await store.list("tmp")); // ["/store/tmp/a-file"]
 * await store.move("a-file", "tmp", "new");
 * await store.copy("a-file", "new", "cur");
 * await store.remove("a-file", "new");
 * console.log(new TextDecoder().decode(await store.read("a-file", "cur")));
 * ```
 */
export class FileStore {
  /** The store's directory, as given (without trailing separators). */
  readonly path: string;
  #options: FileStoreOptions;
  #ctx: Context | undefined;
  #loading: Promise<Context> | undefined;
  #candidates: string[] = [];
  #listing: Promise<void> | undefined;

  /**
   * Describes a store; does no I/O (call {@linkcode FileStore.prepare} to
   * create the directories).
   *
   * @param path The store's directory.
   * @param options Backend, durability, retry limit.
   * @throws {TypeError} An argument has the wrong type or an invalid value.
   */
  constructor(path: string, options: FileStoreOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("The store's path must be a non-empty string");
    }
    if (path.includes("\0")) {
      throw new TypeError("The store's path must not contain NUL");
    }
    if (options.durability !== undefined) checkDurability(options.durability);
    if (options.maxAttempts !== undefined) {
      checkCount(options.maxAttempts, "maxAttempts", 999);
    }
    this.path = path.length > 1 ? path.replace(/[/\\]+$/, "") || "/" : path;
    this.#options = options;
  }

  #context(): Context | Promise<Context> {
    return this.#ctx ?? (this.#loading ??= this.#load());
  }

  async #load(): Promise<Context> {
    const fs = this.#options.fs ?? await defaultFileSystem();
    // Once per store: an area that is a symbolic link could lead every
    // rename out of the store, so it is refused before anything else.
    for (const area of ["tmp", "new", "cur", "dead"] as const) {
      let info;
      try {
        info = await fs.lstat(`${this.path}/${area}`);
      } catch {
        continue; // missing (not prepared yet), or the operation will say
      }
      if (info.isSymlink) {
        this.#loading = undefined;
        throw new NotADirectoryError(
          `Cannot use the store '${this.path}': '${area}' is a symbolic link`,
        );
      }
    }
    this.#ctx = {
      fs,
      dir: this.path,
      names: new NameGenerator(fs.pid, fs.hostname),
      durability: this.#options.durability ?? "full",
      maxAttempts: this.#options.maxAttempts ?? 5,
      keep: this.#options.keep ?? false,
      now: this.#options.now ?? Date.now,
      onReturn: () => {
        this.#candidates = [];
      },
    };
    return this.#ctx;
  }

  /**
   * Creates the store's directory (with missing parents) and its areas
   * `tmp`, `new` and `cur`. Idempotent, and safe when several processes run
   * it at once.
   *
   * @throws {NotADirectoryError} A file or a symbolic link stands where the
   * directory or an area should be.
   * @throws {FileStoreError} The directories cannot be made.
   */
  async prepare(): Promise<void> {
    const ctx = await this.#context();
    const fs = ctx.fs;
    try {
      await fs.mkdir(this.path, { recursive: true });
    } catch (err) {
      if (err instanceof AlreadyExistsError) {
        throw new NotADirectoryError(
          `Cannot prepare '${this.path}': '${this.path}' is not a directory`,
          { cause: err.cause ?? err },
        );
      }
      fail(err, `Cannot prepare '${this.path}'`, this.path);
    }
    for (const area of ["tmp", "new", "cur"] as const) {
      const path = areaPath(ctx, area);
      try {
        await fs.mkdir(path);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) {
          fail(err, `Cannot prepare '${this.path}'`, path);
        }
        // Made by another process, or something else is in the way.
        const info = await fs.lstat(path);
        if (!info.isDirectory) {
          throw new NotADirectoryError(
            `Cannot prepare '${this.path}': '${area}' is ${
              info.isSymlink ? "a symbolic link" : "not a directory"
            }`,
          );
        }
      }
    }
    if (ctx.durability === "full" && fs.capabilities.syncDirectory) {
      try {
        await fs.syncDirectory(this.path);
      } catch (err) {
        fail(err, `Cannot prepare '${this.path}'`, this.path);
      }
    }
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
    if (mode !== "w" && mode !== "a" && mode !== "x") {
      throw new TypeError(
        `Invalid mode '${String(mode)}': expected 'w', 'a' or 'x'`,
      );
    }
    const ctx = await this.#context();
    const path = entryPath(ctx, "tmp", name);
    let handle: FileHandle;
    try {
      handle = await ctx.fs.open(
        path,
        mode === "w"
          ? { write: true, create: true, truncate: true }
          : mode === "a"
          ? { append: true, create: true }
          : { write: true, createNew: true },
      );
    } catch (err) {
      fail(
        err,
        `Cannot create '${name}' in 'tmp'`,
        err instanceof NotFoundError ? "tmp" : `tmp/${name}`,
      );
    }
    return new StoreFile(ctx, name, handle);
  }

  /**
   * Lists an area: full paths, sorted, without dotfiles and without entries
   * that are not regular files (directories, symbolic links). The
   * dead-letter area lists empty until it exists.
   *
   * @param area `"tmp"`, `"new"`, `"cur"` or `"dead"`.
   * @returns Full paths of the files.
   * @throws {InvalidAreaError} Not an area (nothing touched).
   * @throws {NotFoundError} The store is not prepared.
   */
  async list(area: Area): Promise<string[]> {
    checkArea(area);
    const ctx = await this.#context();
    const entries = await this.#entries(ctx, area);
    const prefix = `${this.path}/${area}/`;
    return entries.sort().map((entry) => prefix + entry);
  }

  /**
   * Walks an area without holding its listing: yields the full path of each
   * file as the directory is read (unsorted, in directory order), so memory
   * stays flat however many files there are where the runtime reads a
   * directory in pieces (Node). Deno and Bun read a directory whole, and then
   * the walk holds what they hold. Files renamed meanwhile may be missed or
   * seen twice, as with any directory read.
   *
   * @param area `"tmp"`, `"new"`, `"cur"` or `"dead"`.
   * @returns The full paths.
   * @throws {InvalidAreaError} Not an area (nothing touched).
   * @throws {NotFoundError} The store is not prepared.
   */
  async *walk(area: Area): AsyncIterable<string> {
    checkArea(area);
    const ctx = await this.#context();
    const prefix = `${this.path}/${area}/`;
    if (!ctx.fs.scanDir) {
      for (const entry of await this.#entries(ctx, area)) yield prefix + entry;
      return;
    }
    try {
      for await (const e of ctx.fs.scanDir(areaPath(ctx, area))) {
        if (listed(e)) yield prefix + e.name;
      }
    } catch (err) {
      if (area === "dead" && err instanceof NotFoundError) return;
      fail(err, `Cannot walk '${area}'`, area);
    }
  }

  // Names of the files of an area (no dotfiles, no directories, no links),
  // read as a stream where the backend can, so that only the names stay in
  // memory.
  async #entries(
    ctx: Context,
    area: Area,
    what = `Cannot list '${area}'`,
  ): Promise<string[]> {
    const fs = ctx.fs;
    const path = areaPath(ctx, area);
    const names: string[] = [];
    const take = (e: DirEntry): void => {
      if (listed(e)) names.push(e.name);
    };
    try {
      if (fs.scanDir) {
        const entries = fs.scanDir(path);
        if (Symbol.iterator in entries) { for (const e of entries) take(e); }
        else for await (const e of entries) take(e);
      } else {
        for (const e of await fs.readDir(path)) take(e);
      }
    } catch (err) {
      if (area === "dead" && err instanceof NotFoundError) return [];
      fail(err, what, area);
    }
    return names;
  }

  /**
   * Moves a file from one area to another in one atomic step. Refuses to
   * replace a file of the same name unless `overwrite` is set.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param from The area it is in.
   * @param to The area it goes to.
   * @param options `overwrite` replaces an existing target.
   * @throws {AlreadyExistsError} The target exists (nothing changed).
   * @throws {NotFoundError} The file does not exist.
   */
  async move(
    name: string,
    from: Area,
    to: Area,
    options: MoveOptions = {},
  ): Promise<void> {
    const entry = checkEntry(name);
    checkArea(from);
    checkArea(to);
    const ctx = await this.#context();
    const what = `Cannot move '${entry}' from '${from}' to '${to}'`;
    const source = entryPath(ctx, from, entry);
    const target = entryPath(ctx, to, entry);
    try {
      if (from === to) {
        await ctx.fs.lstat(source);
        return;
      }
      if (to === "dead") await makeDeadArea(ctx);
      if (options.overwrite) await ctx.fs.rename(source, target);
      else await publish(ctx, source, target);
    } catch (err) {
      fail(
        err,
        what,
        err instanceof AlreadyExistsError
          ? `${to}/${entry}`
          : `${from}/${entry}`,
      );
    }
    await syncAfter(ctx, to, () => `Moved '${entry}'`);
    await syncAfter(ctx, from, () => `Moved '${entry}'`);
  }

  /**
   * Copies a file to another area (or to another name's place in the same
   * area, with `overwrite`). The copy is written under a temporary name in
   * `tmp` and published in one atomic step, so no reader ever sees half of
   * it.
   *
   * @param name The file's name, or its full path from `list()`.
   * @param from The area it is in.
   * @param to The area the copy goes to.
   * @param options `overwrite` replaces an existing target.
   * @throws {AlreadyExistsError} The target exists (nothing changed).
   * @throws {NotFoundError} The file does not exist.
   */
  async copy(
    name: string,
    from: Area,
    to: Area,
    options: MoveOptions = {},
  ): Promise<void> {
    const entry = checkEntry(name);
    checkArea(from);
    checkArea(to);
    const ctx = await this.#context();
    const fs = ctx.fs;
    const what = `Cannot copy '${entry}' from '${from}' to '${to}'`;
    const source = entryPath(ctx, from, entry);
    const target = entryPath(ctx, to, entry);
    const temp = entryPath(ctx, "tmp", "." + ctx.names.next());
    await this.#expect(ctx, from, entry, what, (info) => info.isFile);
    let subject = `${from}/${entry}`;
    try {
      const input = await fs.open(source, { read: true });
      try {
        subject = "tmp";
        // Like a delivery: written in full under a temporary name first.
        await write(
          fs,
          temp,
          chunksFrom(input),
          ctx.durability !== "none",
          false,
        );
      } finally {
        await quietly(() => input.close());
      }
      subject = `${to}/${entry}`;
      if (to === "dead") await makeDeadArea(ctx);
      if (options.overwrite) await fs.rename(temp, target);
      else await publish(ctx, temp, target);
    } catch (err) {
      if (subject === `${to}/${entry}`) await quietly(() => fs.unlink(temp));
      fail(err, what, subject);
    }
    await syncAfter(ctx, to, () => `Copied '${entry}'`);
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
    const ctx = await this.#context();
    const what = `Cannot remove '${entry}' from '${area}'`;
    await this.#expect(ctx, area, entry, what, (info) => !info.isDirectory);
    try {
      await ctx.fs.unlink(entryPath(ctx, area, entry));
    } catch (err) {
      fail(err, what, `${area}/${entry}`);
    }
    await syncAfter(ctx, area, () => `Removed '${entry}'`);
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
    const ctx = await this.#context();
    const path = entryPath(ctx, area, entry);
    const what = `Cannot read '${entry}' from '${area}'`;
    await this.#expect(ctx, area, entry, what, (info) => info.isFile);
    try {
      return await ctx.fs.readFile(path);
    } catch (err) {
      fail(err, what, `${area}/${entry}`);
    }
  }

  // Checks, without following a symbolic link, that an entry is what the
  // operation accepts; else NotAFileError.
  async #expect(
    ctx: Context,
    area: Area,
    entry: string,
    what: string,
    accept: (info: FileInfo) => boolean,
  ): Promise<void> {
    let info;
    try {
      info = await ctx.fs.lstat(entryPath(ctx, area, entry));
    } catch (err) {
      fail(err, what, `${area}/${entry}`);
    }
    if (!accept(info)) {
      throw new NotAFileError(
        `${what}: '${area}/${entry}' is not a regular file`,
      );
    }
  }

  /**
   * Delivers a file into `new`: writes it under a temporary name in `tmp`,
   * fsyncs it, publishes it with an operation that never replaces a file
   * (a hard link, then the removal of the temporary name), and fsyncs `new`.
   * The file appears in `new` complete or not at all.
   *
   * @param data The content: text (as UTF-8), bytes, or a stream of bytes
   * (written chunk by chunk, never held whole in memory).
   * @param options An explicit name, durability.
   * @returns The file's name in `new`.
   * @throws {AlreadyExistsError} `options.name` is waiting in `new` (nothing
   * changed).
   * @throws {NotDurableError} The file was delivered, but `new` could not be
   * fsynced: do not deliver it again.
   * @throws {FileStoreError} The delivery failed; nothing was delivered and
   * nothing is left in `tmp`.
   *
   * @example
   * ```ts
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * const name = await store.deliver("payload");
   * console.log(await store.list("new")); // ["/s/new/" + name]
   * ```
   */
  async deliver(
    data: DeliverData,
    options: DeliverOptions = {},
  ): Promise<string> {
    if (!isBytesSource(data)) {
      throw new TypeError(
        "Data must be a string, a Uint8Array or a stream of Uint8Array",
      );
    }
    const durability = options.durability === undefined
      ? undefined
      : checkDurability(options.durability);
    const explicit = options.name === undefined
      ? undefined
      : checkName(options.name);
    const ctx = await this.#context();
    const fs = ctx.fs;
    const sync = durability ?? ctx.durability;
    const generated = ctx.names.next();
    const name = explicit ?? generated;
    const temp = entryPath(ctx, "tmp", "." + generated);
    let subject = "tmp";
    try {
      await write(fs, temp, data, sync !== "none", false);
      subject = `new/${name}`;
      await publish(ctx, temp, entryPath(ctx, "new", name));
    } catch (err) {
      if (subject !== "tmp") await quietly(() => fs.unlink(temp));
      fail(err, `Cannot deliver '${name}'`, subject);
    }
    if (sync === "full") await this.#syncNew(ctx, sync, [name]);
    return name;
  }

  async #syncNew(
    ctx: Context,
    durability: Durability,
    names: string[],
  ): Promise<void> {
    try {
      await syncArea(ctx, "new", durability);
    } catch (err) {
      const shown = names.length === 1
        ? `'${names[0]}'`
        : `${names.length} files`;
      throw new NotDurableError(
        `Delivered ${shown} but cannot sync 'new': ${
          err instanceof FileStoreError ? err.message : String(err)
        }`,
        {
          cause: err instanceof FileStoreError ? err.cause ?? err : err,
          name: names[0]!,
          names,
        },
      );
    }
  }

  /**
   * Delivers many files with one directory fsync for the whole batch: each
   * file is written and fsynced in `tmp` (the fsyncs of a batch issued
   * together, so the disk can flush them at once), then all are published,
   * then `new` is fsynced once. With durability `"full"` that saves one
   * directory fsync per file; how much faster that is depends on the disk
   * (up to 2.7 times one by one on this project's machine, where C does no
   * better than 2.5: see the README's performance section).
   *
   * @param files The contents, each with an optional explicit name.
   * @param options Durability, and a callback after each published file.
   * @returns The names in `new`, in the order given.
   * @throws {FileStoreError} A file could not be written: nothing was
   * delivered and nothing is left in `tmp`.
   * @throws {PartialDeliveryError} A file could not be published after
   * others were: they stay delivered (`delivered` names them), the rest not.
   * @throws {NotDurableError} All were delivered, but `new` could not be
   * fsynced: do not deliver them again.
   *
   * @example
   * ```ts
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * const names = await store.deliverMany(["a", "b", { data: "c", name: "c" }]);
   * console.log(names.length, names[2]); // 3 "c"
   * ```
   */
  async deliverMany(
    files: Iterable<DeliverData | BatchFile>,
    options: DeliverManyOptions = {},
  ): Promise<string[]> {
    const items: BatchFile[] = [];
    for (const file of files) {
      const item = isBatchFile(file) ? file : { data: file };
      if (!isBytesSource(item.data)) {
        throw new TypeError(
          "Data must be a string, a Uint8Array or a stream of Uint8Array",
        );
      }
      if (item.name !== undefined) checkName(item.name);
      items.push(item);
    }
    const durability = options.durability === undefined
      ? undefined
      : checkDurability(options.durability);
    const ctx = await this.#context();
    const fs = ctx.fs;
    const sync = durability ?? ctx.durability;
    const delivered: string[] = [];
    // Sub-batches bound the number of open files.
    for (let start = 0; start < items.length; start += BATCH_OPEN) {
      const batch = items.slice(start, start + BATCH_OPEN).map((item) => {
        const generated = ctx.names.next();
        return {
          item,
          name: item.name ?? generated,
          temp: entryPath(ctx, "tmp", "." + generated),
        };
      });
      const written: typeof batch = [];
      const handles: FileHandle[] = [];
      try {
        for (const entry of batch) {
          const handle = await write(
            fs,
            entry.temp,
            entry.item.data,
            false,
            true,
          );
          written.push(entry);
          handles.push(handle!);
        }
        if (sync !== "none") await syncAll(handles);
        while (handles.length) await handles.pop()!.close();
      } catch (err) {
        for (const h of handles) await quietly(() => h.close());
        for (const entry of written) await quietly(() => fs.unlink(entry.temp));
        const failed = batch[written.length] ?? batch[batch.length - 1]!;
        if (delivered.length === 0) {
          fail(err, `Cannot deliver '${failed.name}'`, "tmp");
        }
        throw partial(err, failed.name, delivered);
      }
      for (let i = 0; i < batch.length; i++) {
        const entry = batch[i]!;
        try {
          await publish(ctx, entry.temp, entryPath(ctx, "new", entry.name));
        } catch (err) {
          for (const rest of batch.slice(i)) {
            await quietly(() => fs.unlink(rest.temp));
          }
          if (delivered.length === 0) {
            fail(err, `Cannot deliver '${entry.name}'`, `new/${entry.name}`);
          }
          throw partial(err, entry.name, delivered);
        }
        delivered.push(entry.name);
        options.onProgress?.(delivered.length, items.length);
      }
    }
    if (delivered.length) await this.#syncNew(ctx, sync, delivered);
    return delivered;
  }

  /**
   * Takes the oldest file (by name) in `new` by moving it into `cur` under a
   * name that records the claim (owner and time): one rename. Across any number of processes, each file
   * is claimed by one of them; a claimer that loses a race moves on to the
   * next file.
   *
   * Candidates come from one listing of `new`, re-read when they run out,
   * so a file that a later listing would have placed first may wait for the
   * next round.
   *
   * @param options The retry limit for this claim's `fail()`.
   * @returns The claim, or `null` when `new` has no file.
   * @throws {FileStoreError} Any failure other than a lost race.
   */
  async claim(options: ClaimOptions = {}): Promise<Claim | null> {
    const max = options.maxAttempts === undefined
      ? undefined
      : checkCount(options.maxAttempts, "maxAttempts", 999);
    const ctx = await this.#context();
    const fs = ctx.fs;
    let relisted = false;
    while (true) {
      let entry = this.#candidates.pop();
      if (entry === undefined) {
        if (relisted) return null;
        await this.#refill(ctx);
        relisted = true;
        entry = this.#candidates.pop();
        if (entry === undefined) return null;
      }
      const info = parseEntry(entry);
      const owner = ctx.names.owner(ctx.now());
      const claimed = ownedEntry(info.name, info.attempts, "c", owner);
      const path = entryPath(ctx, "cur", claimed);
      try {
        await fs.rename(entryPath(ctx, "new", entry), path);
      } catch (err) {
        if (err instanceof NotFoundError) continue; // another claimer won
        fail(err, `Cannot claim '${info.name}'`, `new/${entry}`);
      }
      // The claim's start is in its name: no second call to record it.
      return new Claim(
        ctx,
        claimed,
        // Not a spread: a spread object here is promoted out of the young
        // generation and inflates a long drain's memory.
        { name: info.name, attempts: info.attempts, state: "c", owner },
        max ?? ctx.maxAttempts,
      );
    }
  }

  // Reads the candidates anew; concurrent claims (consume() with a
  // concurrency) share one listing instead of each reading the directory.
  #refill(ctx: Context): Promise<void> {
    return this.#listing ??= (async () => {
      try {
        this.#candidates = await this.#listCandidates(ctx);
      } finally {
        this.#listing = undefined;
      }
    })();
  }

  // Entries of `new` that can be claimed, the oldest last (for pop()).
  async #listCandidates(ctx: Context): Promise<string[]> {
    const entries = await this.#entries(ctx, "new", "Cannot claim from 'new'");
    // A name too long to take the claim suffix cannot be claimed; it stays
    // in `new` (only foreign writers can put one there).
    const claimable = (name: string) =>
      name.length * 3 <= MAX_ENTRY_BYTES - RESERVED_BYTES ||
      encoder.encode(name).length <= MAX_ENTRY_BYTES - RESERVED_BYTES;
    if (!entries.some((entry) => entry.includes("~"))) {
      // Nothing was retried: the entries are the names, in plain order.
      return entries.filter(claimable).sort().reverse();
    }
    const keyed: [string, number, string][] = [];
    for (const entry of entries) {
      const info = parseEntry(entry);
      if (claimable(info.name)) keyed.push([info.name, info.attempts, entry]);
    }
    keyed.sort((a, b) => a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : b[1] - a[1]);
    return keyed.map((k) => k[2]);
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
    const info = parseEntry(name);
    if (info.state !== "c") {
      throw new InvalidNameError(
        `Invalid claim '${name}': not the name of a claimed file in 'cur'`,
      );
    }
    const ctx = await this.#context();
    try {
      await ctx.fs.lstat(entryPath(ctx, "cur", name));
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new ClaimLostError(
          `Cannot find claim '${name}': 'cur/${name}' does not exist`,
          { cause: err.cause ?? err },
        );
      }
      fail(err, `Cannot find claim '${name}'`, `cur/${name}`);
    }
    return new Claim(ctx, name, info, options.maxAttempts ?? ctx.maxAttempts);
  }

  /**
   * Claims files one after another, as an async iterator. The caller
   * finishes each claim (`done`, `release` or `fail`) before the next.
   *
   * @param options Stop signal, watching, poll interval, retry limit.
   * @returns The claims.
   *
   * @example
   * ```ts
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * await store.deliver("a");
   * await store.deliver("b");
   * for await (const claim of store.claims()) {
   *   console.log(await claim.text()); // "a", then "b"
   *   await claim.done();
   * }
   * ```
   */
  async *claims(options: ClaimsOptions = {}): AsyncIterable<Claim> {
    const { signal, watch = false } = options;
    const poll = checkAge(options.pollInterval ?? 1000, "pollInterval");
    const ctx = await this.#context();
    let waiter: Waiter | undefined;
    try {
      while (!signal?.aborted) {
        const claim = await this.claim(options);
        if (claim) {
          yield claim;
          continue;
        }
        if (!watch) return;
        if (waiter === undefined) {
          // Watch first, then look again, so nothing slips in between.
          waiter = new Waiter(ctx, poll, signal);
          continue;
        }
        await waiter.wait();
      }
    } finally {
      waiter?.close();
    }
  }

  /**
   * Runs `handler` for each file: claims it, calls the handler, finishes the
   * claim when the handler resolves and fails it (retry, then dead letter)
   * when it throws. A handler may settle the claim itself (for example
   * `release()` it to put it back); consume then leaves it alone.
   *
   * @param handler The work for one file.
   * @param options Concurrency, stop signal, watching, retry limit.
   * @returns How many files were handled, failed, dead-lettered and lost.
   * @throws {FileStoreError} A claim could not be made, finished or failed;
   * running handlers are let finish first.
   *
   * @example
   * ```ts
   * import { FileStore } from "@filestore/filestore";
   * import { memoryFileSystem } from "@filestore/filestore/memory";
   *
   * const store = new FileStore("/s", { fs: memoryFileSystem() });
   * await store.prepare();
   * await store.deliver("ok");
   * await store.deliver("bad");
   * const result = await store.consume(async (claim) => {
   *   if ((await claim.text()) === "bad") throw new Error("cannot handle");
   * }, { maxAttempts: 1 });
   * console.log(result); // { handled: 1, failed: 1, dead: 1, lost: 0, settled: 0 }
   * ```
   */
  async consume(
    handler: (claim: Claim) => unknown,
    options: ConsumeOptions = {},
  ): Promise<ConsumeResult> {
    if (typeof handler !== "function") {
      throw new TypeError("The handler must be a function");
    }
    const concurrency = checkCount(
      options.concurrency ?? 1,
      "concurrency",
      1024,
    );
    const result: ConsumeResult = {
      handled: 0,
      failed: 0,
      dead: 0,
      lost: 0,
      settled: 0,
    };
    const stop = new AbortController();
    const outer = options.signal;
    const onAbort = (): void => stop.abort();
    outer?.addEventListener("abort", onAbort, { once: true });
    if (outer?.aborted) stop.abort();
    let error: unknown;
    const worker = async (): Promise<void> => {
      for await (
        const claim of this.claims({ ...options, signal: stop.signal })
      ) {
        try {
          let failure: unknown;
          let failed = false;
          try {
            await handler(claim);
          } catch (err) {
            failed = true;
            failure = err;
          }
          if (failed) options.onError?.(failure, claim);
          if (!claim.held) {
            // The handler settled its claim itself (for example released it).
            result.settled++;
          } else if (failed) {
            const outcome = await claim.fail(failure);
            result.failed++;
            if (outcome.dead) result.dead++;
          } else {
            await claim.done();
            result.handled++;
          }
        } catch (err) {
          if (err instanceof ClaimLostError) {
            result.lost++;
            continue;
          }
          // Finishing or failing did not work: put the file back for another
          // try (it may be handled again), then stop.
          if (claim.held) await quietly(() => claim.release());
          error ??= err;
          stop.abort();
        }
      }
    };
    try {
      await Promise.all(
        Array.from({ length: concurrency }, () =>
          worker().catch((err) => {
            error ??= err;
            stop.abort();
          })),
      );
    } finally {
      outer?.removeEventListener("abort", onAbort);
    }
    if (error !== undefined) throw error;
    return result;
  }

  /**
   * Removes files in `tmp` untouched for longer than `olderThan`: the
   * leftovers of writers that died.
   *
   * @param options The age limit.
   * @returns Full paths of the removed files.
   */
  async clean(options: CleanOptions = {}): Promise<string[]> {
    const olderThan = checkAge(options.olderThan ?? 36 * HOUR, "olderThan");
    const ctx = await this.#context();
    const fs = ctx.fs;
    const dir = areaPath(ctx, "tmp");
    let entries;
    try {
      entries = await fs.readDir(dir);
    } catch (err) {
      fail(err, "Cannot clean 'tmp'", "tmp");
    }
    const now = ctx.now();
    const removed: string[] = [];
    let checked = 0;
    for (const e of entries) {
      options.onProgress?.(checked++, entries.length);
      if (e.isDirectory) continue;
      const path = `${dir}/${e.name}`;
      try {
        const info = await fs.lstat(path);
        if (now - info.mtime <= olderThan) continue;
        await fs.unlink(path);
        removed.push(path);
      } catch (err) {
        if (err instanceof NotFoundError) continue; // gone meanwhile
        fail(err, `Cannot clean '${e.name}' from 'tmp'`, `tmp/${e.name}`);
      }
    }
    options.onProgress?.(entries.length, entries.length);
    return removed.sort();
  }

  /**
   * Returns abandoned claims to `new`: claims not touched for longer than
   * `olderThan`, and claims of a process of this host that is dead. Each
   * recovery counts as a failed attempt, so a file that kills its consumer
   * ends in the dead-letter area instead of looping forever. Finished files
   * (kept with `keep`) and files moved into `cur` with `move()` are never
   * touched.
   *
   * @param options The age limit.
   * @returns Full paths of the recovered files where they are now.
   */
  async recover(options: RecoverOptions = {}): Promise<string[]> {
    const olderThan = checkAge(options.olderThan ?? 10 * 60_000, "olderThan");
    const ctx = await this.#context();
    const fs = ctx.fs;
    let entries;
    try {
      entries = await fs.readDir(areaPath(ctx, "cur"));
    } catch (err) {
      fail(err, "Cannot recover claims from 'cur'", "cur");
    }
    const now = ctx.now();
    const recovered: string[] = [];
    let waiting: Map<string, string> | undefined;
    let checked = 0;
    for (const e of entries) {
      options.onProgress?.(checked++, entries.length);
      if (!e.isFile) continue;
      const info = parseEntry(e.name);
      if (info.state !== "c") continue;
      const path = entryPath(ctx, "cur", e.name);
      const what = `Cannot recover '${info.name}'`;
      try {
        const stat = await fs.lstat(path);
        const orphan = info.host === ctx.names.hostTag &&
          info.pid !== fs.pid && fs.processAlive(info.pid!) === false;
        // Claimed at the time in its name, or touched since.
        const touched = Math.max(info.time ?? 0, stat.mtime);
        if (!orphan && now - touched <= olderThan) continue;
        if (stat.links > 1) {
          // A release or fail cut short between its link and its unlink
          // left the file waiting in `new` too: drop the claimed name.
          waiting ??= new Map(
            (await this.#entries(ctx, "new", "Cannot recover into 'new'")).map((
              n,
            ) => [parseEntry(n).name, n]),
          );
          const entry = waiting.get(info.name);
          if (entry !== undefined) {
            await fs.unlink(path);
            recovered.push(entryPath(ctx, "new", entry));
            continue;
          }
        }
      } catch (err) {
        if (err instanceof NotFoundError) continue; // finished meanwhile
        fail(err, what, `cur/${e.name}`);
      }
      const claim = new Claim(ctx, e.name, info, ctx.maxAttempts);
      try {
        recovered.push((await claim.fail("recovered")).path);
      } catch (err) {
        // Finished or recovered by someone else meanwhile; or a file of the
        // same name waits in `new`: leave it for a later round.
        if (err instanceof ClaimLostError) continue;
        if (err instanceof AlreadyExistsError) continue;
        fail(err, `Cannot recover '${info.name}'`, `cur/${e.name}`);
      }
    }
    options.onProgress?.(entries.length, entries.length);
    return recovered.sort();
  }

  /**
   * Counts the files of each area and the age of the oldest.
   *
   * @returns Counts and ages per area; the dead-letter area counts zero
   * until it exists.
   */
  async stats(): Promise<StoreStats> {
    const ctx = await this.#context();
    const now = ctx.now();
    const one = async (
      area: Area,
    ): Promise<AreaStats & { claimed: number; finished: number }> => {
      let entries;
      try {
        entries = await ctx.fs.readDir(areaPath(ctx, area));
      } catch (err) {
        if (area === "dead" && err instanceof NotFoundError) {
          return { count: 0, oldestAge: null, claimed: 0, finished: 0 };
        }
        fail(err, `Cannot count '${area}'`, area);
      }
      let count = 0, claimed = 0, finished = 0;
      let oldest = Infinity;
      for (const e of entries) {
        if (!e.isFile || (area !== "tmp" && e.name[0] === ".")) continue;
        let mtime: number;
        try {
          mtime = (await ctx.fs.lstat(`${areaPath(ctx, area)}/${e.name}`))
            .mtime;
        } catch (err) {
          if (err instanceof NotFoundError) continue;
          fail(err, `Cannot count '${area}'`, `${area}/${e.name}`);
        }
        count++;
        if (mtime < oldest) oldest = mtime;
        const state = parseEntry(e.name).state;
        if (state === "c") claimed++;
        else if (state === "f") finished++;
      }
      const oldestAge = count === 0 ? null : Math.max(0, now - oldest);
      return { count, oldestAge, claimed, finished };
    };
    const [tmp, fresh, cur, dead] = await Promise.all(
      (["tmp", "new", "cur", "dead"] as const).map(one),
    );
    const plain = (s: AreaStats): AreaStats => ({
      count: s.count,
      oldestAge: s.oldestAge,
    });
    return {
      tmp: plain(tmp!),
      new: plain(fresh!),
      cur: cur!,
      dead: plain(dead!),
    };
  }
}
