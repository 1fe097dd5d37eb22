/**
 * The filesystem interface the store reaches the disk through. A backend
 * implements it for one runtime (`./deno`, `./node`) or in memory
 * (`./memory`).
 *
 * Every method may answer with a plain value or with a Promise: the store
 * awaits either. Backends for real disks answer synchronously for the tiny
 * metadata operations, which cost several times less than their async twins.
 *
 * Paths are absolute and use `/` as separator. Every failure is thrown as one
 * of the classes of `errors.ts`, with the native error as `cause`:
 * `NotFoundError` for a missing path or parent, `AlreadyExistsError` where a
 * method refuses to replace, and so on.
 *
 * @module
 */

/** A value, or a Promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * What a backend can do. Declared, never probed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * const { hardLinks, syncDirectory, watch } = memoryFileSystem({ hardLinks: false }).capabilities;
 * assert.deepEqual([hardLinks, syncDirectory, watch], [false, true, true]);
 * ```
 */
export interface FileSystemCapabilities {
  /**
   * `link()` works. Without it the store publishes with a check then a
   * rename, which can replace a file delivered under the same explicit name
   * at the same instant (generated names never collide).
   */
  readonly hardLinks: boolean;
  /**
   * `syncDirectory()` makes renames and links durable. Without it the store
   * skips directory fsyncs (the platform gives no way to do them).
   */
  readonly syncDirectory: boolean;
  /** `watch()` is implemented. Without it, waiting consumers poll. */
  readonly watch: boolean;
}

/**
 * The kind and times of a directory entry, from {@linkcode FileSystem.stat}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * const fs = memoryFileSystem();
 * fs.writeNewFile("/f", new Uint8Array(3));
 * const info = fs.stat("/f");
 * assert.deepEqual([info.isFile, info.size, info.links], [true, 3, 1]);
 * assert.ok(info.ctime >= info.mtime);
 * ```
 */
export interface FileInfo {
  /** A regular file. */
  readonly isFile: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
  /** A symbolic link (only from `lstat`). */
  readonly isSymlink: boolean;
  /** Size in bytes. */
  readonly size: number;
  /** Number of hard links (names) of the file. */
  readonly links: number;
  /** Last modification, in milliseconds since the epoch (anyone may set it). */
  readonly mtime: number;
  /**
   * Last change of the data or the metadata (a write, a rename, a touch), in
   * milliseconds since the epoch. Set by the system, never by a caller: ages
   * count it where an mtime may lie.
   */
  readonly ctime: number;
}

/**
 * One entry of a directory listing, from {@linkcode FileSystem.readDir}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * const fs = memoryFileSystem();
 * fs.mkdir("/d");
 * assert.deepEqual(fs.readDir("/").map((e) => [e.name, e.isDirectory]), [["d", true]]);
 * ```
 */
export interface DirEntry {
  /** The entry's name: one path segment. */
  readonly name: string;
  /** A regular file. */
  readonly isFile: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
  /** A symbolic link (not followed). */
  readonly isSymlink: boolean;
}

/**
 * What the caller of {@linkcode FileSystem.readFile} already knows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * const fs = memoryFileSystem();
 * fs.writeNewFile("/f", new Uint8Array(3));
 * const { size } = fs.lstat("/f");
 * assert.equal(fs.readFile("/f", { trustedSize: size }).length, 3);
 * ```
 */
export interface ReadFileOptions {
  /**
   * The caller's own `lstat` of `path` found a regular file of this size,
   * and the path is in a directory that only trusted processes write (the
   * store passes it for a claim in `cur`, whose name only it made). A
   * backend may then skip the checks it makes itself (an `lstat` or an
   * `fstat`) and size its buffer by it, reading on to the end if the file
   * grew. It keeps the checks that cost no call, like `O_NOFOLLOW`.
   */
  readonly trustedSize?: number;
}

/**
 * How {@linkcode FileSystem.open} opens a file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AlreadyExistsError } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * const fs = memoryFileSystem();
 * const handle = fs.open("/new-file", { write: true, createNew: true });
 * handle.write(new TextEncoder().encode("x"));
 * handle.close();
 * assert.throws(() => fs.open("/new-file", { write: true, createNew: true }), AlreadyExistsError);
 * ```
 */
export interface OpenOptions {
  /**
   * Open for reading.
   *
   * @default {false}
   */
  read?: boolean;
  /**
   * Open for writing.
   *
   * @default {false}
   */
  write?: boolean;
  /**
   * Every write goes to the end of the file.
   *
   * @default {false}
   */
  append?: boolean;
  /**
   * Create the file if it is missing.
   *
   * @default {false}
   */
  create?: boolean;
  /**
   * Create the file, failing with `AlreadyExistsError` if it exists
   * (atomically: `O_CREAT | O_EXCL`).
   *
   * @default {false}
   */
  createNew?: boolean;
  /**
   * Truncate an existing file to zero length.
   *
   * @default {false}
   */
  truncate?: boolean;
  /**
   * Open only a regular file, never through a link: a final symbolic link
   * is refused, not followed; a FIFO, a device or a socket is refused
   * without waiting on it; anything but a regular file is `NotAFileError`.
   * Race-free where the platform allows it (`O_NOFOLLOW | O_NONBLOCK`, then
   * `fstat` of what was opened); the backends say where it does not.
   *
   * @default {false}
   */
  regularOnly?: boolean;
  /**
   * The permission bits of a file this call creates, exactly (the process's
   * umask does not apply: the backend sets them on the new file).
   *
   * @default {0o666 less the umask}
   */
  mode?: number;
}

/**
 * An open file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * const fs = memoryFileSystem();
 * fs.writeNewFile("/f", new TextEncoder().encode("hello"));
 * const handle = fs.open("/f", { read: true });
 * const buffer = new Uint8Array(16);
 * const n = await handle.read(buffer);
 * await handle.close();
 * assert.equal(new TextDecoder().decode(buffer.subarray(0, n)), "hello");
 * ```
 */
export interface FileHandle {
  /**
   * Reads up to `buffer.length` bytes at the current position into `buffer`.
   *
   * @param buffer Where the bytes go.
   * @returns How many bytes were read; 0 at the end of the file.
   */
  read(buffer: Uint8Array): MaybePromise<number>;
  /**
   * Writes all of `data` at the current position (or the end, in append
   * mode). A short write is retried until everything is written or an error
   * is thrown.
   *
   * @param data The bytes.
   */
  write(data: Uint8Array): MaybePromise<void>;
  /** Flushes the file's data and metadata to the disk (`fsync`). */
  sync(): MaybePromise<void>;
  /**
   * The same fsync, run off the calling thread, so that several can be in
   * flight at once: a batch delivery issues its files' fsyncs together and
   * the filesystem can commit them in fewer journal writes. Optional; without
   * it a batch calls {@linkcode FileHandle.sync} once per file. The caller
   * waits for it to settle before it closes the file.
   */
  syncAsync?(): Promise<void>;
  /** Closes the file. Closing twice is an error of the caller. */
  close(): MaybePromise<void>;
}

/**
 * The operations the store needs. See each method for its contract; the
 * contract test suite, `testFileSystem()` of `./testing`, checks a backend
 * against it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore, type FileSystem } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * // A backend that records every rename, wrapping another.
 * const inner = memoryFileSystem();
 * const renames: string[] = [];
 * const logged = new Proxy(inner, {
 *   get(target, key) {
 *     const value = Reflect.get(target, key);
 *     if (key === "rename") {
 *       return (from: string, to: string) => {
 *         renames.push(`${from} -> ${to}`);
 *         return target.rename(from, to);
 *       };
 *     }
 *     return typeof value === "function" ? value.bind(target) : value;
 *   },
 * }) as FileSystem;
 * const store = new FileStore("/s", { fs: logged });
 * await store.prepare();
 * await store.deliver("x", { name: "x" }); // an explicit name: link, unlink
 * await store.claim(); // one rename into cur
 * assert.equal(renames.length, 1);
 * assert.match(renames[0]!, /^\/s\/new\/x -> \/s\/cur\/x~0\.c\./);
 * ```
 */
export interface FileSystem {
  /** What this backend can do. */
  readonly capabilities: FileSystemCapabilities;
  /** The id of this process, recorded in claims. */
  readonly pid: number;
  /** The name of this host, recorded in generated names and claims. */
  readonly hostname: string;
  /**
   * What makes `pid` and {@linkcode FileSystem.processAlive} mean the same
   * process: on Linux the boot id and the pid namespace. Claims carry a tag
   * of the host name and this scope; a claim whose tag differs (another
   * host, another boot, another container) is never judged by whether its
   * pid is alive, only by its age. Optional: without it the host name alone
   * is the scope, which is right only where no two pid namespaces share a
   * host name and a store.
   */
  readonly processScope?: string | undefined;
  /**
   * What this backend cannot do here that weakens a guarantee, one sentence
   * each (Deno without `--allow-sys=hostname` or without reading `/proc`):
   * the store reports each once through its `onWarning`. Optional.
   */
  readonly limitations?: readonly string[];
  /**
   * Whether a process of this host is alive.
   *
   * @param pid The process id.
   * @returns `true` or `false`, or `undefined` when the backend cannot tell.
   */
  processAlive(pid: number): boolean | undefined;
  /**
   * Opens a file. Throws `NotFoundError` when the file (without `create`) or
   * its parent is missing, `AlreadyExistsError` when `createNew` is set and
   * the path exists, `NotAFileError` for a directory opened for writing.
   *
   * @param path Absolute path.
   * @param options How to open it.
   * @returns The open file.
   */
  open(path: string, options: OpenOptions): MaybePromise<FileHandle>;
  /**
   * Creates a file that must not exist yet and writes `data` into it, in one
   * call where the platform allows. Throws `AlreadyExistsError` if the path
   * exists (nothing written) and `NotFoundError` if the parent is missing.
   * Not atomic: a failure can leave a partly written file, which the caller
   * removes.
   *
   * @param path Absolute path.
   * @param data The whole content.
   * @param mode The new file's permission bits, exactly (no umask), as in
   * {@linkcode OpenOptions.mode}.
   */
  writeNewFile(
    path: string,
    data: Uint8Array,
    mode?: number,
  ): MaybePromise<void>;
  /**
   * Reads a whole regular file, as {@linkcode OpenOptions.regularOnly} opens
   * it: a symbolic link, a directory, a FIFO, a device or a socket is
   * `NotAFileError` (never followed, never waited on, never read). Throws
   * `NotFoundError` if it is missing. Takes about the file's size in memory.
   *
   * @param path Absolute path.
   * @param options What the caller already knows of the file.
   * @returns The content.
   */
  readFile(
    path: string,
    options?: ReadFileOptions,
  ): MaybePromise<Uint8Array>;
  /**
   * Renames atomically. Replaces an existing file at `to` (POSIX `rename`).
   * Throws `NotFoundError` if `from` or the parent of `to` is missing.
   *
   * @param from Existing path.
   * @param to New path.
   */
  rename(from: string, to: string): MaybePromise<void>;
  /**
   * Makes a hard link atomically. Never replaces: throws `AlreadyExistsError`
   * if `to` exists, `NotFoundError` if `from` or the parent of `to` is
   * missing. Only called when `capabilities.hardLinks` is true.
   *
   * @param from Existing file.
   * @param to New name for it.
   */
  link(from: string, to: string): MaybePromise<void>;
  /**
   * Removes the name of a file or symbolic link (never called on a
   * directory). Throws `NotFoundError` if it is missing.
   *
   * @param path Absolute path.
   */
  unlink(path: string): MaybePromise<void>;
  /**
   * Removes an empty directory (never a file or a link). Throws
   * `NotFoundError` if it is missing, `DirectoryNotEmptyError` if it has
   * entries and `NotADirectoryError` for anything but a directory.
   *
   * @param path Absolute path.
   */
  removeDirectory(path: string): MaybePromise<void>;
  /**
   * Creates a directory. Without `recursive`, throws `AlreadyExistsError` if
   * anything exists at `path` and `NotFoundError` if the parent is missing.
   * With `recursive`, creates missing parents and succeeds if a directory
   * exists, but throws `NotADirectoryError` or `AlreadyExistsError` when a
   * non-directory is in the way.
   *
   * @param path Absolute path.
   * @param options `recursive` creates parents; `mode`, the permission
   * bits of the directories it makes, exactly (no umask; setgid included).
   */
  mkdir(
    path: string,
    options?: { recursive?: boolean; mode?: number },
  ): MaybePromise<void>;
  /**
   * Lists a directory, in no particular order, without `.` and `..`. Throws
   * `NotFoundError` if it is missing and `NotADirectoryError` for a file.
   * Entries renamed while it runs may be missed.
   *
   * @param path Absolute path.
   * @returns The entries.
   */
  readDir(path: string): MaybePromise<DirEntry[]>;
  /**
   * Lists a directory lazily, a few entries at a time, so that memory stays
   * flat however large it is. Optional: without it the store reads the whole
   * listing with `readDir`. Same errors and guarantees as `readDir`.
   *
   * @param path Absolute path.
   * @returns The entries, as they are read.
   */
  scanDir?(path: string): Iterable<DirEntry> | AsyncIterable<DirEntry>;
  /**
   * Describes a path, following symbolic links. Throws `NotFoundError` if it
   * is missing.
   *
   * @param path Absolute path.
   * @returns Kind, size and modification time.
   */
  stat(path: string): MaybePromise<FileInfo>;
  /**
   * Describes a path without following a final symbolic link. Throws
   * `NotFoundError` if it is missing.
   *
   * @param path Absolute path.
   * @returns Kind, size and modification time.
   */
  lstat(path: string): MaybePromise<FileInfo>;
  /**
   * Sets the access and modification times. Throws `NotFoundError` if the
   * path is missing.
   *
   * @param path Absolute path.
   * @param atime Access time, milliseconds since the epoch.
   * @param mtime Modification time, milliseconds since the epoch.
   */
  utime(path: string, atime: number, mtime: number): MaybePromise<void>;
  /**
   * Makes the entries of a directory durable (`fsync` on the directory).
   * Only called when `capabilities.syncDirectory` is true. Throws
   * `NotFoundError` if it is missing.
   *
   * @param path Absolute path.
   */
  syncDirectory(path: string): MaybePromise<void>;
  /**
   * Reports changes in a directory until `signal` aborts. An event may be
   * spurious or stand for many changes; callers rescan. Only called when
   * `capabilities.watch` is true.
   *
   * @param path Absolute path of a directory.
   * @param signal Ends the iteration.
   * @returns One `undefined` per batch of changes.
   */
  watch?(path: string, signal: AbortSignal): AsyncIterable<void>;
}

/**
 * Options of the backends for real disks, `denoFileSystem()` and
 * `nodeFileSystem()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeFileSystem } from "@filestore/filestore/node";
 * const fs = nodeFileSystem({ hardLinks: false }); // a share without hard links
 * assert.equal(fs.capabilities.hardLinks, false);
 * ```
 */
export interface DiskFileSystemOptions {
  /**
   * Declare hard links as unsupported, for filesystems without them (FAT,
   * some network shares).
   *
   * @default {true}
   */
  hardLinks?: boolean;
}
