/**
 * A wrapper around any {@linkcode FileSystem} that makes chosen calls fail,
 * or cuts the power after a chosen call, to test what a store (or your code
 * on top of it) does when a real disk misbehaves.
 *
 * @module
 */

import { fromNativeError } from "../backends/_native.ts";
import type {
  DirEntry,
  FileHandle,
  FileInfo,
  FileSystem,
  OpenOptions,
} from "../file_system.ts";

/**
 * The calls a fault can target: the interface's methods and a handle's.
 */
export type FaultOperation =
  | "open"
  | "writeNewFile"
  | "readFile"
  | "rename"
  | "link"
  | "unlink"
  | "removeDirectory"
  | "mkdir"
  | "readDir"
  | "scanDir"
  | "stat"
  | "lstat"
  | "utime"
  | "syncDirectory"
  | "read"
  | "write"
  | "sync"
  | "close";

/**
 * The failures a fault can produce, as the native error codes they stand for.
 */
export type FaultKind =
  | "ENOSPC"
  | "EIO"
  | "EACCES"
  | "EMFILE"
  | "ENOENT"
  | "ESTALE";

/**
 * Which call fails, and how.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * import { type FaultPlan, faultyFileSystem } from "@filestore/filestore/testing";
 *
 * // Cut the power after the third call, whatever it is.
 * const plan: FaultPlan = { at: 3, powerCut: true };
 * const fs = faultyFileSystem(memoryFileSystem(), plan);
 * const store = new FileStore("/s", { fs });
 * await assert.rejects(store.prepare());
 * assert.equal(fs.poweredOff, true);
 * ```
 */
export interface FaultPlan {
  /**
   * Fail the call with this 1-based index, counting every call through the
   * wrapper (see {@linkcode FaultyFileSystem.calls}).
   *
   * @default {undefined}
   */
  at?: number;
  /**
   * Fail only calls of this operation; with `nth`, the nth of them.
   *
   * @default {undefined}
   */
  operation?: FaultOperation;
  /**
   * With `operation`: which call of it (1-based) fails.
   *
   * @default {1}
   */
  nth?: number;
  /**
   * Fail every matching call from the chosen one on, not just that one.
   *
   * @default {false}
   */
  persistent?: boolean;
  /**
   * The failure.
   *
   * @default {"EIO"}
   */
  error?: FaultKind;
  /**
   * Instead of failing the chosen call, let it succeed and then cut the
   * power: every later call fails, and an inner filesystem with a `crash()`
   * method (the memory backend) loses what was not synced.
   *
   * @default {false}
   */
  powerCut?: boolean;
}

const MESSAGES: Record<FaultKind, string> = {
  ENOSPC: "no space left on device",
  EIO: "input/output error",
  EACCES: "permission denied",
  EMFILE: "too many open files",
  ENOENT: "no such file or directory",
  ESTALE: "stale file handle",
};

/**
 * A filesystem whose chosen calls fail. Create with {@linkcode faultyFileSystem}.
 */
export interface FaultyFileSystem extends FileSystem {
  /** Every call made so far, as `operation path`. */
  readonly calls: string[];
  /** Whether the planned fault has happened. */
  readonly tripped: boolean;
  /** Whether the power was cut (every call now fails). */
  readonly poweredOff: boolean;
}

/**
 * Wraps a filesystem so that the call chosen by `plan` fails with a native
 * error of the chosen kind (translated like any backend's: `NoSpaceError`,
 * `IOError`, ...), or so that the power is cut after it.
 *
 * @param inner The filesystem to wrap.
 * @param plan The fault; without one, nothing fails and calls are counted.
 * @returns The wrapper.
 *
 * @example Fail the first hard link with "no space"
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore, NoSpaceError } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * import { faultyFileSystem } from "@filestore/filestore/testing";
 *
 * const fs = faultyFileSystem(memoryFileSystem(), {
 *   operation: "link",
 *   error: "ENOSPC",
 * });
 * const store = new FileStore("/s", { fs });
 * await store.prepare();
 * // An explicit name is published with a hard link.
 * await assert.rejects(store.deliver("x", { name: "x" }), NoSpaceError);
 * assert.deepEqual(await store.list("new"), []);
 * assert.deepEqual(await store.list("tmp"), []);
 * ```
 */
export function faultyFileSystem(
  inner: FileSystem,
  plan: FaultPlan = {},
): FaultyFileSystem {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  let tripped = false;
  let off = false;

  const fault = (operation: FaultOperation, path: string): Error => {
    const code = plan.error ?? "EIO";
    const native = Object.assign(
      new Error(`${code}: ${MESSAGES[code]}, ${operation} '${path}'`),
      { code, syscall: operation, path },
    );
    return fromNativeError(native, operation, path) as Error;
  };

  // Decides, before a call, whether it fails; returns whether the power goes
  // off after it.
  const before = (operation: FaultOperation, path: string): boolean => {
    if (off) throw fault(operation, path);
    calls.push(`${operation} ${path}`);
    const n = (counts.get(operation) ?? 0) + 1;
    counts.set(operation, n);
    const chosen = plan.at !== undefined
      ? calls.length === plan.at
      : plan.operation !== undefined
      ? plan.operation === operation && n === (plan.nth ?? 1)
      : false;
    const again = tripped && plan.persistent &&
      (plan.operation === undefined || plan.operation === operation);
    if (!chosen && !again) return false;
    tripped = true;
    if (plan.powerCut) return true;
    throw fault(operation, path);
  };

  const after = (cut: boolean): void => {
    if (!cut) return;
    off = true;
    (inner as { crash?: () => void }).crash?.();
  };

  function wrap<T>(
    operation: FaultOperation,
    path: string,
    fn: () => T | Promise<T>,
  ): T | Promise<T> {
    const cut = before(operation, path);
    let result;
    try {
      result = fn();
    } catch (err) {
      after(cut); // the power goes whether the call worked or not
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => after(cut));
    }
    after(cut);
    return result;
  }

  const handle = (h: FileHandle, path: string): FileHandle => ({
    read: (buffer: Uint8Array) => wrap("read", path, () => h.read(buffer)),
    write: (data: Uint8Array) => wrap("write", path, () => h.write(data)),
    sync: () => wrap("sync", path, () => h.sync()),
    ...(h.syncAsync && {
      syncAsync: async () => {
        await wrap("sync", path, () => h.syncAsync!());
      },
    }),
    close: () => wrap("close", path, () => h.close()),
  });

  const fs: FaultyFileSystem = {
    get calls() {
      return calls;
    },
    get tripped() {
      return tripped;
    },
    get poweredOff() {
      return off;
    },
    capabilities: inner.capabilities,
    pid: inner.pid,
    hostname: inner.hostname,
    processScope: inner.processScope,
    processAlive: (pid: number) => inner.processAlive(pid),
    open: (path: string, options: OpenOptions) => {
      const opened = wrap("open", path, () => inner.open(path, options));
      return opened instanceof Promise
        ? opened.then((h) => handle(h, path))
        : handle(opened, path);
    },
    writeNewFile: (path: string, data: Uint8Array, mode?: number) =>
      wrap("writeNewFile", path, () => inner.writeNewFile(path, data, mode)),
    readFile: (path: string): Uint8Array | Promise<Uint8Array> =>
      wrap("readFile", path, () => inner.readFile(path)),
    rename: (from: string, to: string) =>
      wrap("rename", from, () => inner.rename(from, to)),
    link: (from: string, to: string) =>
      wrap("link", from, () => inner.link(from, to)),
    unlink: (path: string) => wrap("unlink", path, () => inner.unlink(path)),
    removeDirectory: (path: string) =>
      wrap("removeDirectory", path, () => inner.removeDirectory(path)),
    mkdir: (path: string, options?: { recursive?: boolean; mode?: number }) =>
      wrap("mkdir", path, () => inner.mkdir(path, options)),
    readDir: (path: string): DirEntry[] | Promise<DirEntry[]> =>
      wrap("readDir", path, () => inner.readDir(path)),
    stat: (path: string): FileInfo | Promise<FileInfo> =>
      wrap("stat", path, () => inner.stat(path)),
    lstat: (path: string): FileInfo | Promise<FileInfo> =>
      wrap("lstat", path, () => inner.lstat(path)),
    utime: (path: string, atime: number, mtime: number) =>
      wrap("utime", path, () => inner.utime(path, atime, mtime)),
    syncDirectory: (path: string) =>
      wrap("syncDirectory", path, () => inner.syncDirectory(path)),
  };
  if (inner.scanDir) {
    const scan = inner.scanDir.bind(inner);
    // The listing is lazy: the fault (or the power cut) comes with opening it.
    fs.scanDir = (path: string) =>
      wrap("scanDir", path, () => scan(path)) as
        | Iterable<DirEntry>
        | AsyncIterable<DirEntry>;
  }
  if (inner.watch) {
    const watch = inner.watch.bind(inner);
    fs.watch = (path: string, signal: AbortSignal) => watch(path, signal);
  }
  return fs;
}
