/**
 * The filesystem backend for Deno, built on the `Deno.*` APIs. Metadata
 * operations and writes use the synchronous calls, which cost several times
 * less than their async twins for these tiny operations; each blocks the event
 * loop for one system call: a write of a 64 KiB chunk at most, and an
 * `fsync` as long as the disk takes (durability `"file"` and `"full"`).
 *
 * Needs `--allow-read` and `--allow-write` for the store's directory, and
 * `--allow-sys=hostname` for the host name in generated names (without it the
 * host is `localhost` and dead-process detection is off).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { denoFileSystem } from "@filestore/filestore/deno";
 *
 * const dir = await Deno.makeTempDir();
 * const store = new FileStore(dir, { fs: denoFileSystem() });
 * await store.prepare();
 * const name = await store.deliver("on disk");
 * assert.deepEqual(await store.list("new"), [`${dir}/new/${name}`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { NotAFileError } from "../errors.ts";
import {
  call,
  fromNativeError,
  type ProcessView,
  processView,
  readAll,
} from "./_native.ts";
import type {
  DirEntry,
  DiskFileSystemOptions,
  FileHandle,
  FileInfo,
  FileSystem,
  FileSystemCapabilities,
  OpenOptions,
  ReadFileOptions,
} from "../file_system.ts";

/** Options of {@linkcode denoFileSystem}. */
export type DenoFileSystemOptions = DiskFileSystemOptions;

function toInfo(s: Deno.FileInfo): FileInfo {
  return {
    isFile: s.isFile,
    isDirectory: s.isDirectory,
    isSymlink: s.isSymlink,
    size: s.size,
    links: s.nlink ?? 1,
    mtime: s.mtime?.getTime() ?? 0,
    ctime: s.ctime?.getTime() ?? s.mtime?.getTime() ?? 0,
  };
}

function denoOptions(options: OpenOptions): Deno.OpenOptions {
  return {
    read: !!options.read,
    write: !!options.write,
    append: !!options.append,
    create: !!options.create,
    createNew: !!options.createNew,
    truncate: !!options.truncate,
    ...(options.mode === undefined ? {} : { mode: options.mode }),
  };
}

function notRegular(path: string): NotAFileError {
  return new NotAFileError(`open '${path}' failed: not a regular file`);
}

// Opens only a regular file, never through a link. Deno's open has neither
// O_NOFOLLOW nor O_NONBLOCK, so: a new file is made exclusively (O_EXCL
// never follows a link); an existing one is looked at (lstat: a link, a
// FIFO, a device is refused before any open), opened without O_CREAT and
// O_TRUNC, and checked (fstat) to be the very file looked at (same device
// and inode): a link swapped in between is detected before a byte is read
// or written, and only then is the file truncated. What this cannot stop:
// a FIFO swapped in between the lstat and the open blocks that open. The
// trust model (README) keeps `cur` out of producers' reach, so a claim
// cannot be swapped; the Node backend has no such gap. Returns the file
// and its size.
function openRegular(
  path: string,
  options: OpenOptions,
): [Deno.FsFile, number] {
  if (options.createNew || options.create) {
    try {
      const file = Deno.openSync(path, {
        ...denoOptions(options),
        create: false,
        truncate: false,
        createNew: true,
      });
      return [file, 0];
    } catch (err) {
      if (options.createNew || !(err instanceof Deno.errors.AlreadyExists)) {
        throw fromNativeError(err, "open", path);
      }
    }
  }
  const before = call("lstat", path, () => Deno.lstatSync(path));
  if (!before.isFile) throw notRegular(path);
  const file = call("open", path, () =>
    Deno.openSync(path, {
      ...denoOptions(options),
      create: false,
      createNew: false,
      truncate: false,
    }));
  try {
    const after = call("fstat", path, () => file.statSync());
    if (
      !after.isFile || after.dev !== before.dev || after.ino !== before.ino
    ) {
      throw notRegular(path);
    }
    if (options.truncate) call("truncate", path, () => file.truncateSync(0));
    return [file, after.size];
  } catch (err) {
    file.close();
    throw err;
  }
}

class DenoHandle implements FileHandle {
  constructor(readonly file: Deno.FsFile, readonly path: string) {}

  read(buffer: Uint8Array): number {
    return call("read", this.path, () => this.file.readSync(buffer) ?? 0);
  }

  write(data: Uint8Array): void {
    call("write", this.path, () => {
      let offset = 0;
      while (offset < data.length) {
        offset += this.file.writeSync(data.subarray(offset));
      }
    });
  }

  // Synchronous like the rest: an fsync blocks the event loop until the
  // disk has the data (about half a millisecond on this project's machines),
  // which measured faster than Deno's async sync().
  sync(): void {
    call("fsync", this.path, () => this.file.syncSync());
  }

  // On Deno's blocking-task threads, for batches: several fsyncs in flight.
  async syncAsync(): Promise<void> {
    try {
      await this.file.sync();
    } catch (err) {
      throw fromNativeError(err, "fsync", this.path);
    }
  }

  close(): void {
    call("close", this.path, () => this.file.close());
  }
}

function readHostname(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined;
  }
}

class DenoFileSystem implements FileSystem {
  readonly capabilities: FileSystemCapabilities;
  readonly pid: number = Deno.pid;
  readonly hostname: string;
  readonly processScope: string | undefined;
  readonly limitations: readonly string[];
  // On Linux, /proc: the scope of pids, and liveness.
  readonly #processes: ProcessView | undefined;

  constructor(options: DenoFileSystemOptions) {
    this.capabilities = {
      hardLinks: options.hardLinks ?? true,
      syncDirectory: Deno.build.os !== "windows",
      watch: true,
    };
    const host = readHostname();
    this.hostname = host ?? "localhost";
    // Without the host name, pids cannot be placed: no liveness at all.
    if (host !== undefined && Deno.build.os === "linux") {
      this.#processes = processView({
        text: (path) => Deno.readTextFileSync(path),
        link: (path) => Deno.readLinkSync(path),
        missing: (err) => err instanceof Deno.errors.NotFound,
      }, this.pid);
    }
    this.processScope = this.#processes?.scope;
    const limits: string[] = [];
    if (host === undefined) {
      limits.push(
        "Deno may not read the host name (--allow-sys=hostname): generated names end in '.localhost', and a crashed consumer's claims are recovered only once their lease has passed",
      );
    } else if (Deno.build.os === "linux" && !this.#processes?.readable) {
      limits.push(
        "Deno may not read /proc (Deno allows it with --allow-all only): a crashed consumer's claims are recovered only once their lease has passed, not at once, and containers sharing a host name are told apart by name only",
      );
    }
    this.limitations = limits;
  }

  processAlive(pid: number): boolean | undefined {
    return this.#processes?.alive(pid);
  }

  open(path: string, options: OpenOptions): FileHandle {
    const file = options.regularOnly
      ? openRegular(path, options)[0]
      : call("open", path, () => Deno.openSync(path, denoOptions(options)));
    return new DenoHandle(file, path);
  }

  writeNewFile(path: string, data: Uint8Array, mode?: number): void {
    call(
      "open",
      path,
      () =>
        Deno.writeFileSync(path, data, {
          createNew: true,
          ...(mode === undefined ? {} : { mode }),
        }),
    );
  }

  // lstat, open, fstat, read, close (see openRegular), into memory of the
  // file's size.
  // With a trusted size (the caller's lstat did what the lstat and the
  // fstat of openRegular do): Deno.readFileSync, one op. It makes three
  // system calls more than an open, a read and a close (an fstat, an lseek
  // and the read that finds the end), but those are three ops, and under
  // Deno an op and its file resource cost more than those calls (16.6
  // against 19.4 µs a claim with its lstat, rename and removal, measured
  // alone). Deno's open has neither O_NOFOLLOW nor O_NONBLOCK either way.
  readFile(path: string, options?: ReadFileOptions): Uint8Array {
    if (options?.trustedSize !== undefined) {
      return call("read", path, () => Deno.readFileSync(path));
    }
    const [file, size] = openRegular(path, { read: true });
    try {
      return readAll(
        size,
        (buffer, at) =>
          call("read", path, () => file.readSync(buffer.subarray(at)) ?? 0),
      );
    } finally {
      file.close();
    }
  }

  rename(from: string, to: string): void {
    call("rename", from, () => Deno.renameSync(from, to));
  }

  link(from: string, to: string): void {
    call("link", from, () => Deno.linkSync(from, to));
  }

  unlink(path: string): void {
    call("unlink", path, () => Deno.removeSync(path));
  }

  removeDirectory(path: string): void {
    // Deno.removeSync() removes a file as well: it is looked at first.
    call("rmdir", path, () => {
      if (!Deno.lstatSync(path).isDirectory) {
        throw Object.assign(new Error(`Not a directory: '${path}'`), {
          code: "ENOTDIR",
        });
      }
      Deno.removeSync(path);
    });
  }

  mkdir(
    path: string,
    options: { recursive?: boolean; mode?: number } = {},
  ): void {
    call("mkdir", path, () => {
      Deno.mkdirSync(path, { recursive: !!options.recursive });
      // Exactly the mode asked for, umask and setgid included. The store
      // makes directories only in its own, trusted directory.
      if (options.mode !== undefined) Deno.chmodSync(path, options.mode);
    });
  }

  readDir(path: string): DirEntry[] {
    return call("scandir", path, () => Array.from(Deno.readDirSync(path)));
  }

  *scanDir(path: string): Iterable<DirEntry> {
    const entries = call("scandir", path, () => Deno.readDirSync(path));
    const iterator = entries[Symbol.iterator]();
    while (true) {
      // (no closure per entry: this loop is every large listing's)
      let next: IteratorResult<Deno.DirEntry>;
      try {
        next = iterator.next();
      } catch (err) {
        throw fromNativeError(err, "scandir", path);
      }
      if (next.done) return;
      yield next.value;
    }
  }

  stat(path: string): FileInfo {
    return toInfo(call("stat", path, () => Deno.statSync(path)));
  }

  lstat(path: string): FileInfo {
    return toInfo(call("lstat", path, () => Deno.lstatSync(path)));
  }

  utime(path: string, atime: number, mtime: number): void {
    call(
      "utime",
      path,
      () => Deno.utimeSync(path, new Date(atime), new Date(mtime)),
    );
  }

  syncDirectory(path: string): void {
    const dir = call("fsync", path, () => Deno.openSync(path, { read: true }));
    try {
      call("fsync", path, () => dir.syncSync());
    } finally {
      dir.close();
    }
  }

  async *watch(path: string, signal: AbortSignal): AsyncIterable<void> {
    const watcher = call("watch", path, () => Deno.watchFs(path));
    const stop = (): void => watcher.close();
    signal.addEventListener("abort", stop, { once: true });
    try {
      for await (const _ of watcher) yield;
    } finally {
      signal.removeEventListener("abort", stop);
      try {
        watcher.close();
      } catch {
        // already closed by the abort
      }
    }
  }
}

/**
 * Creates the backend for Deno.
 *
 * @param options Declared capabilities.
 * @returns The filesystem.
 */
export function denoFileSystem(
  options: DenoFileSystemOptions = {},
): FileSystem {
  return new DenoFileSystem(options);
}
