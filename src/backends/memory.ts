/**
 * An in-memory filesystem with POSIX semantics, for tests and for browsers:
 * `rename` replaces, `link` refuses an existing target, missing parents and
 * non-empty directories fail as on a disk. It also models durability the way
 * a journaling filesystem (ext4, XFS) provides it: after
 * {@linkcode MemoryFileSystem.crash}, a file's data is what its last `sync()`
 * wrote, and the directory tree is what it was at the last `syncDirectory()`
 * (of any directory: a directory fsync commits the journal, so every earlier
 * create, rename, link and unlink survives with it, each one atomically).
 *
 * It is trusted only because the Deno and Node backends pass the same
 * contract test suite.
 *
 * @example A store in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/store", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("hello", { name: "greeting" });
 * assert.deepEqual(await store.list("new"), ["/store/new/greeting"]);
 * ```
 *
 * @module
 */

import { NotFoundError } from "../errors.ts";
import { fromNativeError } from "./_native.ts";
import type {
  DirEntry,
  FileHandle,
  FileInfo,
  FileSystem,
  FileSystemCapabilities,
  OpenOptions,
  ReadFileOptions,
} from "../file_system.ts";

/**
 * Options of {@linkcode memoryFileSystem}.
 */
export interface MemoryFileSystemOptions {
  /**
   * The process id this filesystem reports.
   *
   * @default {1}
   */
  pid?: number;
  /**
   * The host name this filesystem reports.
   *
   * @default {"memory"}
   */
  hostname?: string;
  /**
   * The scope of its pids this filesystem reports (`processScope`): views
   * made by `share()` with another scope stand for processes of another
   * container.
   *
   * @default {"memory"}
   */
  processScope?: string;
  /**
   * The clock of every timestamp (mtime, ctime), in milliseconds since the
   * epoch: tests move it to age files as no utime() can (a ctime).
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Answers whether a process of this host is alive; the default knows only
   * that its own `pid` is.
   *
   * @default {undefined}
   */
  processAlive?: (pid: number) => boolean | undefined;
  /**
   * Declare hard links as supported (turn off to test the fallback).
   *
   * @default {true}
   */
  hardLinks?: boolean;
  /**
   * Declare directory fsync as supported.
   *
   * @default {true}
   */
  syncDirectory?: boolean;
  /**
   * Declare watching as supported.
   *
   * @default {true}
   */
  watch?: boolean;
}

class MemFile {
  links = 1;
  data: Uint8Array = new Uint8Array(0);
  size = 0;
  ctime: number;
  constructor(public mtime: number) {
    this.ctime = mtime;
    this.durableMtime = mtime;
  }
  durable: Uint8Array = new Uint8Array(0);
  durableMtime = 0;
  bytes(): Uint8Array {
    return this.data.subarray(0, this.size);
  }
}

class MemSymlink {
  ctime: number;
  constructor(readonly target: string, public mtime: number) {
    this.ctime = mtime;
  }
}

class MemDir {
  entries: Map<string, Node> = new Map();
  durable: Map<string, Node> = new Map();
  ctime: number;
  watchers: Set<() => void> = new Set();
  constructor(public mtime: number) {
    this.ctime = mtime;
  }
  changed(now: number): void {
    this.mtime = this.ctime = now;
    for (const notify of this.watchers) notify();
  }
}

type Node = MemFile | MemDir | MemSymlink;

function nativeError(code: string, syscall: string, path: string): Error {
  const err = new Error(`${code}: ${syscall} '${path}'`);
  return Object.assign(err, { code, syscall, path });
}

interface State {
  root: MemDir;
  /** The clock of every timestamp, in milliseconds since the epoch. */
  now: () => number;
}

/**
 * An in-memory filesystem. Create one with {@linkcode memoryFileSystem}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { MemoryFileSystem } from "@filestore/filestore/memory";
 *
 * const fs = new MemoryFileSystem();
 * const store = new FileStore("/s", { fs });
 * await store.prepare();
 * await store.deliver("kept", { durability: "full" });
 * await store.deliver("lost", { durability: "none" });
 * fs.crash(); // the power cut: only what was fsynced is left
 * assert.equal((await store.list("new")).length, 1);
 * ```
 */
export class MemoryFileSystem implements FileSystem {
  /** What this backend can do. */
  readonly capabilities: FileSystemCapabilities;
  /** The process id this filesystem reports. */
  readonly pid: number;
  /** The host name this filesystem reports. */
  readonly hostname: string;
  readonly processScope: string;
  #state: State;
  #alive: ((pid: number) => boolean | undefined) | undefined;
  #options: MemoryFileSystemOptions;

  /**
   * Creates an empty filesystem with only the root directory.
   *
   * @param options Identity and capabilities.
   */
  constructor(options: MemoryFileSystemOptions = {}) {
    this.#options = options;
    this.capabilities = {
      hardLinks: options.hardLinks ?? true,
      syncDirectory: options.syncDirectory ?? true,
      watch: options.watch ?? true,
    };
    this.pid = options.pid ?? 1;
    this.hostname = options.hostname ?? "memory";
    this.processScope = options.processScope ?? "memory";
    this.#alive = options.processAlive;
    const now = options.now ?? Date.now;
    this.#state = { root: new MemDir(now()), now };
  }

  /**
   * Another view of the same tree, as a second process would see it.
   *
   * @param options Identity and capabilities of the view; unset fields are
   * taken from this one.
   * @returns A filesystem sharing this one's files.
   */
  share(options: MemoryFileSystemOptions = {}): MemoryFileSystem {
    const view = new MemoryFileSystem({ ...this.#options, ...options });
    view.#state = this.#state;
    return view;
  }

  /**
   * Simulates a power cut: every file's data falls back to what its last
   * `sync()` wrote, and the tree to what it was at the last
   * `syncDirectory()`. Open handles keep working on the lost state.
   */
  crash(): void {
    const restore = (dir: MemDir, seen: Set<Node>): void => {
      dir.entries = new Map(dir.durable);
      for (const node of dir.entries.values()) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (node instanceof MemDir) restore(node, seen);
        else if (node instanceof MemFile) {
          node.data = node.durable.slice();
          node.size = node.data.length;
          node.mtime = node.durableMtime;
        }
      }
    };
    restore(this.#state.root, new Set());
    // Link counts follow from the surviving names.
    const files: MemFile[] = [];
    const count = (dir: MemDir): void => {
      for (const node of dir.entries.values()) {
        if (node instanceof MemDir) count(node);
        else if (node instanceof MemFile) files.push(node);
      }
    };
    count(this.#state.root);
    for (const file of files) file.links = 0;
    for (const file of files) file.links++;
  }

  /**
   * Makes a symbolic link (for tests of how the store treats them).
   *
   * @param target What the link points to.
   * @param path Where the link is made.
   */
  symlink(target: string, path: string): void {
    const [dir, name] = this.#parent(path, "symlink");
    if (dir.entries.has(name)) throw this.#error("EEXIST", "symlink", path);
    dir.entries.set(name, new MemSymlink(target, this.#state.now()));
    dir.changed(this.#state.now());
  }

  /**
   * Whether a process of this host is alive.
   *
   * @param pid The process id.
   * @returns The answer of the `processAlive` option, else `true` for this
   * filesystem's own pid and `undefined` for any other.
   */
  processAlive(pid: number): boolean | undefined {
    if (this.#alive) return this.#alive(pid);
    return pid === this.pid ? true : undefined;
  }

  #error(code: string, syscall: string, path: string): unknown {
    return fromNativeError(nativeError(code, syscall, path), syscall, path);
  }

  #segments(path: string, syscall: string): string[] {
    if (!path.startsWith("/")) throw this.#error("EINVAL", syscall, path);
    return path.split("/").filter((s) => s !== "" && s !== ".");
  }

  // Resolves a path to its node, following symbolic links (also in the last
  // segment unless `noFollow`).
  #lookup(
    path: string,
    syscall: string,
    noFollow = false,
    depth = 0,
  ): Node {
    if (depth > 32) throw this.#error("ELOOP", syscall, path);
    const parts = this.#segments(path, syscall);
    let node: Node = this.#state.root;
    const stack: MemDir[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (!(node instanceof MemDir)) {
        throw this.#error("ENOTDIR", syscall, path);
      }
      if (part === "..") {
        node = stack.pop() ?? this.#state.root;
        continue;
      }
      const next: Node | undefined = node.entries.get(part);
      if (next === undefined) throw this.#error("ENOENT", syscall, path);
      const last = i === parts.length - 1;
      if (next instanceof MemSymlink && !(last && noFollow)) {
        const base = "/" + parts.slice(0, i).join("/");
        const target = next.target.startsWith("/")
          ? next.target
          : `${base}/${next.target}`;
        const rest = parts.slice(i + 1).join("/");
        return this.#lookup(
          rest ? `${target}/${rest}` : target,
          syscall,
          noFollow,
          depth + 1,
        );
      }
      stack.push(node);
      node = next;
    }
    return node;
  }

  #parent(path: string, syscall: string): [MemDir, string] {
    const parts = this.#segments(path, syscall);
    const name = parts.pop();
    if (name === undefined || name === "..") {
      throw this.#error("EEXIST", syscall, path);
    }
    const dir = this.#lookup("/" + parts.join("/"), syscall);
    if (!(dir instanceof MemDir)) throw this.#error("ENOTDIR", syscall, path);
    return [dir, name];
  }

  open(path: string, options: OpenOptions, depth = 0): FileHandle {
    const [dir, name] = this.#parent(path, "open");
    let node = dir.entries.get(name);
    // O_CREAT | O_EXCL refuses any name, a dangling symbolic link too.
    if (node !== undefined && options.createNew) {
      throw this.#error("EEXIST", "open", path);
    }
    if (node instanceof MemSymlink && options.regularOnly) {
      throw this.#error("ELOOP", "open", path); // O_NOFOLLOW
    }
    if (node instanceof MemDir && options.regularOnly) {
      throw this.#error("EISDIR", "open", path);
    }
    if (node instanceof MemSymlink) {
      if (depth > 32) throw this.#error("ELOOP", "open", path);
      // Followed; O_CREAT through a dangling link creates its target, as
      // POSIX does (which is why the store never creates through a link).
      const target = node.target.startsWith("/")
        ? node.target
        : `${path.slice(0, path.lastIndexOf("/"))}/${node.target}`;
      return this.open(target, options, depth + 1);
    }
    const writing = !!(options.write || options.append);
    if (node === undefined) {
      if (!(options.create || options.createNew)) {
        throw this.#error("ENOENT", "open", path);
      }
      node = new MemFile(this.#state.now());
      dir.entries.set(name, node);
      dir.changed(this.#state.now());
    }
    if (node instanceof MemDir) {
      if (writing) throw this.#error("EISDIR", "open", path);
      // A directory opens for reading (to fsync it); reading it fails.
      return new DirHandle(path);
    }
    const file = node as MemFile;
    if (options.truncate) {
      // Linux truncates with O_TRUNC whatever the access mode.
      file.size = 0;
      file.mtime = file.ctime = this.#state.now();
    }
    return new MemHandle(
      file,
      path,
      !!options.read,
      writing,
      !!options.append,
      this.#state.now,
    );
  }

  // Modes are not modelled: nothing in the interface reads them back.
  writeNewFile(path: string, data: Uint8Array, _mode?: number): void {
    const handle = this.open(path, { write: true, createNew: true });
    handle.write(data);
    handle.close();
  }

  readFile(path: string, _options?: ReadFileOptions): Uint8Array {
    // Never through a final link: O_NOFOLLOW.
    const node = this.#lookup(path, "open", true);
    if (node instanceof MemSymlink) throw this.#error("ELOOP", "open", path);
    if (!(node instanceof MemFile)) throw this.#error("EISDIR", "read", path);
    return node.bytes().slice();
  }

  rename(from: string, to: string): void {
    // Linux resolves both parents before it looks at either name.
    const [fromDir, fromName] = this.#parent(from, "rename");
    const [toDir, toName] = this.#parent(to, "rename");
    const node = fromDir.entries.get(fromName);
    if (node === undefined) throw this.#error("ENOENT", "rename", from);
    const existing = toDir.entries.get(toName);
    if (existing === node) return;
    if (node instanceof MemDir && this.#contains(node, toDir)) {
      throw this.#error("EINVAL", "rename", to);
    }
    if (existing !== undefined) {
      if (node instanceof MemDir) {
        if (!(existing instanceof MemDir)) {
          throw this.#error("ENOTDIR", "rename", to);
        }
        if (existing.entries.size > 0) {
          throw this.#error("ENOTEMPTY", "rename", to);
        }
      } else if (existing instanceof MemDir) {
        // Onto a directory that holds the source, Linux says "not empty".
        throw this.#error(
          this.#contains(existing, fromDir) ? "ENOTEMPTY" : "EISDIR",
          "rename",
          to,
        );
      }
    }
    if (node instanceof MemDir && this.#contains(node, toDir)) {
      throw this.#error("EINVAL", "rename", to);
    }
    if (existing instanceof MemFile) {
      existing.links--;
      existing.ctime = this.#state.now();
    }
    fromDir.entries.delete(fromName);
    toDir.entries.set(toName, node);
    node.ctime = this.#state.now();
    fromDir.changed(this.#state.now());
    if (toDir !== fromDir) toDir.changed(this.#state.now());
  }

  #contains(dir: MemDir, other: MemDir): boolean {
    if (dir === other) return true;
    for (const child of dir.entries.values()) {
      if (child instanceof MemDir && this.#contains(child, other)) return true;
    }
    return false;
  }

  link(from: string, to: string): void {
    const [fromDir, fromName] = this.#parent(from, "link");
    const node = fromDir.entries.get(fromName);
    if (node === undefined) throw this.#error("ENOENT", "link", from);
    const [toDir, toName] = this.#parent(to, "link");
    // Linux looks at the target first, then refuses a directory.
    if (toDir.entries.has(toName)) throw this.#error("EEXIST", "link", to);
    if (node instanceof MemDir) throw this.#error("EPERM", "link", from);
    if (node instanceof MemFile) node.links++;
    node.ctime = this.#state.now();
    toDir.entries.set(toName, node);
    toDir.changed(this.#state.now());
  }

  unlink(path: string): void {
    const [dir, name] = this.#parent(path, "unlink");
    const node = dir.entries.get(name);
    if (node === undefined) throw this.#error("ENOENT", "unlink", path);
    if (node instanceof MemDir) throw this.#error("EISDIR", "unlink", path);
    if (node instanceof MemFile) node.links--;
    node.ctime = this.#state.now();
    dir.entries.delete(name);
    dir.changed(this.#state.now());
  }

  removeDirectory(path: string): void {
    const [dir, name] = this.#parent(path, "rmdir");
    const node = dir.entries.get(name);
    if (node === undefined) throw this.#error("ENOENT", "rmdir", path);
    if (!(node instanceof MemDir)) throw this.#error("ENOTDIR", "rmdir", path);
    if (node.entries.size) throw this.#error("ENOTEMPTY", "rmdir", path);
    dir.entries.delete(name);
    dir.changed(this.#state.now());
  }

  mkdir(
    path: string,
    options: { recursive?: boolean; mode?: number } = {},
  ): void {
    if (options.recursive) {
      const parts = this.#segments(path, "mkdir");
      let current = "";
      for (let i = 0; i < parts.length; i++) {
        current += "/" + parts[i];
        const last = i === parts.length - 1;
        let entry: Node | undefined;
        try {
          entry = this.#lookup(current, "mkdir", true);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
        if (entry === undefined) {
          this.mkdir(current);
          continue;
        }
        // There already: fine if it is (or links to) a directory. As Linux
        // says it otherwise: the path itself is taken, or a parent is no
        // directory (or a link to nowhere).
        let resolved: Node | undefined;
        try {
          resolved = this.#lookup(current, "mkdir");
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err; // a loop
        }
        if (resolved instanceof MemDir) continue;
        throw this.#error(
          last || resolved === undefined ? "EEXIST" : "ENOTDIR",
          "mkdir",
          path,
        );
      }
      return;
    }
    const [dir, name] = this.#parent(path, "mkdir");
    if (dir.entries.has(name)) throw this.#error("EEXIST", "mkdir", path);
    dir.entries.set(name, new MemDir(this.#state.now()));
    dir.changed(this.#state.now());
  }

  readDir(path: string): DirEntry[] {
    return Array.from(this.scanDir(path));
  }

  *scanDir(path: string): Iterable<DirEntry> {
    const node = this.#lookup(path, "scandir");
    if (!(node instanceof MemDir)) {
      throw this.#error("ENOTDIR", "scandir", path);
    }
    for (const [name, child] of node.entries) {
      yield {
        name,
        isFile: child instanceof MemFile,
        isDirectory: child instanceof MemDir,
        isSymlink: child instanceof MemSymlink,
      };
    }
  }

  #info(node: Node): FileInfo {
    return {
      isFile: node instanceof MemFile,
      isDirectory: node instanceof MemDir,
      isSymlink: node instanceof MemSymlink,
      size: node instanceof MemFile ? node.size : 0,
      links: node instanceof MemFile ? node.links : 1,
      mtime: node.mtime,
      ctime: node.ctime,
    };
  }

  stat(path: string): FileInfo {
    return this.#info(this.#lookup(path, "stat"));
  }

  lstat(path: string): FileInfo {
    return this.#info(this.#lookup(path, "lstat", true));
  }

  utime(path: string, _atime: number, mtime: number): void {
    const node = this.#lookup(path, "utime");
    node.mtime = mtime;
    node.ctime = this.#state.now();
  }

  syncDirectory(path: string): void {
    // An fsync of a file opened as a directory works, as on Linux.
    this.#lookup(path, "fsync");
    // A journal commit: every metadata change made so far becomes durable,
    // in every directory, as one atomic step.
    const commit = (dir: MemDir): void => {
      dir.durable = new Map(dir.entries);
      for (const child of dir.entries.values()) {
        if (child instanceof MemDir) commit(child);
        else if (child instanceof MemFile) child.durableMtime = child.mtime;
      }
    };
    commit(this.#state.root);
  }

  async *watch(path: string, signal: AbortSignal): AsyncIterable<void> {
    const node = this.#lookup(path, "watch");
    if (!(node instanceof MemDir)) throw this.#error("ENOTDIR", "watch", path);
    let pending = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      pending = true;
      wake?.();
    };
    node.watchers.add(notify);
    signal.addEventListener("abort", notify);
    try {
      while (!signal.aborted) {
        if (!pending) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (signal.aborted) return;
        pending = false;
        yield;
      }
    } finally {
      node.watchers.delete(notify);
      signal.removeEventListener("abort", notify);
    }
  }
}

class DirHandle implements FileHandle {
  #closed = false;
  constructor(readonly path: string) {}
  #fail(syscall: string, code: string): never {
    throw fromNativeError(
      nativeError(code, syscall, this.path),
      syscall,
      this.path,
    );
  }
  read(_buffer: Uint8Array): number {
    this.#fail("read", this.#closed ? "EBADF" : "EISDIR");
  }
  write(_data: Uint8Array): void {
    this.#fail("write", "EBADF");
  }
  sync(): void {
    if (this.#closed) this.#fail("fsync", "EBADF");
  }
  close(): void {
    if (this.#closed) this.#fail("close", "EBADF");
    this.#closed = true;
  }
}

class MemHandle implements FileHandle {
  #position = 0;
  #closed = false;
  constructor(
    readonly file: MemFile,
    readonly path: string,
    readonly readable: boolean,
    readonly writable: boolean,
    readonly appending: boolean,
    readonly now: () => number,
  ) {}

  #check(syscall: string, allowed: boolean): void {
    if (this.#closed || !allowed) {
      throw fromNativeError(
        nativeError("EBADF", syscall, this.path),
        syscall,
        this.path,
      );
    }
  }

  read(buffer: Uint8Array): number {
    this.#check("read", this.readable);
    const bytes = this.file.bytes();
    const n = Math.min(buffer.length, bytes.length - this.#position);
    if (n <= 0) return 0;
    buffer.set(bytes.subarray(this.#position, this.#position + n));
    this.#position += n;
    return n;
  }

  write(data: Uint8Array): void {
    this.#check("write", this.writable);
    const file = this.file;
    if (this.appending) this.#position = file.size;
    const end = this.#position + data.length;
    if (end > file.data.length) {
      const grown = new Uint8Array(Math.max(end, file.data.length * 2, 64));
      grown.set(file.data.subarray(0, file.size));
      file.data = grown;
    }
    file.data.set(data, this.#position);
    this.#position = end;
    if (end > file.size) file.size = end;
    file.mtime = file.ctime = this.now();
  }

  sync(): void {
    this.#check("fsync", true);
    this.file.durable = this.file.bytes().slice();
    this.file.durableMtime = this.file.mtime;
  }

  // As the disk backends offer it: settles on a later turn, like a thread's.
  async syncAsync(): Promise<void> {
    await undefined;
    this.sync();
  }

  close(): void {
    this.#check("close", true);
    this.#closed = true;
  }
}

/**
 * Creates an empty in-memory filesystem: fresh state on every call.
 *
 * @param options Identity and declared capabilities.
 * @returns The filesystem.
 *
 * @example Two simulated processes on one tree
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const fs = memoryFileSystem({ pid: 10 });
 * const other = fs.share({ pid: 11 });
 * fs.mkdir("/shared");
 * assert.deepEqual(other.readDir("/").map((e) => e.name), ["shared"]);
 * assert.equal(other.pid, 11);
 * ```
 */
export function memoryFileSystem(
  options: MemoryFileSystemOptions = {},
): MemoryFileSystem {
  return new MemoryFileSystem(options);
}

export {
  type FaultKind,
  type FaultOperation,
  type FaultPlan,
  type FaultyFileSystem,
  faultyFileSystem,
} from "../testing/faulty.ts";
