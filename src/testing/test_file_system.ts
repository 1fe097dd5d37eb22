/**
 * The contract of the {@linkcode FileSystem} interface as a test suite, for
 * `node:test` (which `deno test`, `node --test` and `bun test` all run): a
 * backend that passes it can carry a store. The backends of this package
 * run it too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AlreadyExistsError,
  DirectoryNotEmptyError,
  FileStoreError,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
} from "../errors.ts";
import type { FileHandle, FileSystem } from "../file_system.ts";

/** A fresh, empty place for one test of {@linkcode testFileSystem}. */
export interface FileSystemSandbox {
  /** The backend under test. */
  fs: FileSystem;
  /** An empty directory, as an absolute path of `fs`. */
  dir: string;
  /** Makes a symbolic link (the interface has no call for it). */
  symlink(target: string, at: string): void | Promise<void>;
  /** Removes everything the test made. */
  cleanup(): void | Promise<void>;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Registers the contract tests of the filesystem interface, one `test()`
 * each, in a `describe()` block named `name`.
 *
 * @param name The suite's name, for example the backend's.
 * @param sandbox Makes a fresh sandbox for each test.
 *
 * @example A third-party backend proves itself
 * ```ts ignore
 * import { testFileSystem } from "@filestore/filestore/testing";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * testFileSystem("memory", () => {
 *   const fs = memoryFileSystem();
 *   fs.mkdir("/sandbox");
 *   return {
 *     fs,
 *     dir: "/sandbox",
 *     symlink: (target, at) => fs.symlink(target, at),
 *     cleanup: () => {},
 *   };
 * });
 * ```
 */
export function testFileSystem(
  name: string,
  sandbox: () => FileSystemSandbox | Promise<FileSystemSandbox>,
): void {
  const it = (
    title: string,
    fn: (box: FileSystemSandbox) => Promise<void>,
  ) =>
    test(title, async () => {
      const box = await sandbox();
      try {
        await fn(box);
      } finally {
        await box.cleanup();
      }
    });

  describe(name, () => {
    it("writeNewFile() creates a file that readFile() returns", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/a`, bytes("hello"));
      assert.equal(text(await fs.readFile(`${dir}/a`)), "hello");
      const data = await fs.readFile(`${dir}/a`);
      assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
    });

    it("readFile() returns files of every size exactly", async ({ fs, dir }) => {
      for (const size of [0, 1, 65_535, 65_536, 65_537, 200_003]) {
        const data = new Uint8Array(size).map((_, i) => (i * 7 + size) % 256);
        await fs.writeNewFile(`${dir}/f${size}`, data);
        assert.deepEqual(await fs.readFile(`${dir}/f${size}`), data, `${size}`);
      }
      const first = await fs.readFile(`${dir}/f1`);
      await fs.readFile(`${dir}/f65535`);
      assert.equal(first.length, 1, "results do not share a buffer");
      assert.equal(first[0], (0 * 7 + 1) % 256);
    });

    it("readFile() with a trusted size returns the whole file, whatever its size became", async ({ fs, dir }) => {
      for (const size of [0, 1, 65_536, 200_003]) {
        const data = new Uint8Array(size).map((_, i) => (i * 5 + size) % 256);
        await fs.writeNewFile(`${dir}/t${size}`, data);
        // the size looked at, one that was smaller (the file grew since)
        // and one that was larger (it shrank)
        for (const trustedSize of [size, Math.floor(size / 3), size + 100]) {
          assert.deepEqual(
            await fs.readFile(`${dir}/t${size}`, { trustedSize }),
            data,
            `${size} read as ${trustedSize}`,
          );
        }
      }
      await assert.rejects(
        async () => await fs.readFile(`${dir}/missing`, { trustedSize: 1 }),
        NotFoundError,
      );
    });

    it("writeNewFile() refuses an existing file and leaves it", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/a`, bytes("first"));
      await assert.rejects(
        async () => await fs.writeNewFile(`${dir}/a`, bytes("second")),
        AlreadyExistsError,
      );
      assert.equal(text(await fs.readFile(`${dir}/a`)), "first");
    });

    it("writeNewFile() fails with NotFoundError for a missing parent", async ({ fs, dir }) => {
      await assert.rejects(
        async () => await fs.writeNewFile(`${dir}/no/a`, bytes("x")),
        NotFoundError,
      );
    });

    it("readFile() fails with NotFoundError and keeps the native cause", async ({ fs, dir }) => {
      const err = await (async () => await fs.readFile(`${dir}/missing`))()
        .then(
          () => assert.fail("resolved"),
          (e: unknown) => e,
        );
      assert.ok(err instanceof NotFoundError);
      assert.equal((err.cause as { code?: string }).code, "ENOENT");
    });

    it("readFile() of a directory fails with NotAFileError", async ({ fs, dir }) => {
      await fs.mkdir(`${dir}/d`);
      await assert.rejects(
        async () => await fs.readFile(`${dir}/d`),
        NotAFileError,
      );
    });

    it("open() writes, appends, truncates and reads in chunks", async ({ fs, dir }) => {
      const path = `${dir}/f`;
      let h = await fs.open(path, { write: true, createNew: true });
      await h.write(bytes("abc"));
      await h.sync();
      await h.close();
      h = await fs.open(path, { append: true });
      await h.write(bytes("def"));
      await h.close();
      assert.equal(text(await fs.readFile(path)), "abcdef");
      h = await fs.open(path, { read: true });
      const buffer = new Uint8Array(4);
      const chunks: string[] = [];
      for (let n = await h.read(buffer); n > 0; n = await h.read(buffer)) {
        chunks.push(text(buffer.subarray(0, n)));
      }
      await h.close();
      assert.deepEqual(chunks, ["abcd", "ef"]);
      h = await fs.open(path, { write: true, truncate: true });
      await h.write(bytes("x"));
      await h.close();
      assert.equal(text(await fs.readFile(path)), "x");
    });

    it("syncAsync() settles with several files in flight and fails typed on a closed file", async ({ fs, dir }) => {
      const handles: FileHandle[] = [];
      for (const name of ["a", "b", "c"]) {
        const h = await fs.open(`${dir}/${name}`, {
          write: true,
          createNew: true,
        });
        await h.write(bytes(name));
        handles.push(h);
      }
      assert.ok(handles.every((h) => typeof h.syncAsync === "function"));
      await Promise.all(handles.map((h) => h.syncAsync!()));
      for (const h of handles) await h.close();
      assert.equal(text(await fs.readFile(`${dir}/b`)), "b");
      await assert.rejects(
        async () => await handles[0]!.syncAsync!(),
        FileStoreError,
      );
    });

    it("open() with createNew refuses an existing file", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/f`, bytes("keep"));
      await assert.rejects(
        async () => await fs.open(`${dir}/f`, { write: true, createNew: true }),
        AlreadyExistsError,
      );
      assert.equal(text(await fs.readFile(`${dir}/f`)), "keep");
    });

    it("open() without create fails with NotFoundError", async ({ fs, dir }) => {
      await assert.rejects(
        async () => await fs.open(`${dir}/f`, { read: true }),
        NotFoundError,
      );
      await assert.rejects(
        async () => await fs.open(`${dir}/f`, { write: true }),
        NotFoundError,
      );
    });

    it("a read-only handle refuses writes with a FileStoreError", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/f`, bytes("x"));
      const h = await fs.open(`${dir}/f`, { read: true });
      try {
        await assert.rejects(
          async () => await h.write(bytes("y")),
          FileStoreError,
        );
      } finally {
        await h.close();
      }
      assert.equal(text(await fs.readFile(`${dir}/f`)), "x");
    });

    it("rename() replaces an existing target", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/a`, bytes("a"));
      await fs.writeNewFile(`${dir}/b`, bytes("b"));
      await fs.rename(`${dir}/a`, `${dir}/b`);
      assert.equal(text(await fs.readFile(`${dir}/b`)), "a");
      await assert.rejects(
        async () => await fs.stat(`${dir}/a`),
        NotFoundError,
      );
    });

    it("rename() fails with NotFoundError for a missing source or parent", async ({ fs, dir }) => {
      await assert.rejects(
        async () => await fs.rename(`${dir}/a`, `${dir}/b`),
        NotFoundError,
      );
      await fs.writeNewFile(`${dir}/a`, bytes("a"));
      await assert.rejects(
        async () => await fs.rename(`${dir}/a`, `${dir}/no/b`),
        NotFoundError,
      );
      assert.equal(text(await fs.readFile(`${dir}/a`)), "a");
    });

    it("link() gives a second name and refuses an existing target", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/a`, bytes("a"));
      await fs.writeNewFile(`${dir}/b`, bytes("b"));
      await assert.rejects(
        async () => await fs.link(`${dir}/a`, `${dir}/b`),
        AlreadyExistsError,
      );
      assert.equal(text(await fs.readFile(`${dir}/b`)), "b");
      assert.equal((await fs.stat(`${dir}/a`)).links, 1);
      await fs.link(`${dir}/a`, `${dir}/c`);
      assert.equal((await fs.stat(`${dir}/a`)).links, 2);
      await fs.unlink(`${dir}/a`);
      assert.equal((await fs.stat(`${dir}/c`)).links, 1);
      assert.equal(text(await fs.readFile(`${dir}/c`)), "a");
      await assert.rejects(
        async () => await fs.link(`${dir}/a`, `${dir}/d`),
        NotFoundError,
      );
    });

    it("unlink() removes a name and fails with NotFoundError when missing", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/a`, bytes("a"));
      await fs.unlink(`${dir}/a`);
      assert.deepEqual(await fs.readDir(dir), []);
      await assert.rejects(
        async () => await fs.unlink(`${dir}/a`),
        NotFoundError,
      );
    });

    it("mkdir() refuses an existing path and a missing parent", async ({ fs, dir }) => {
      await fs.mkdir(`${dir}/d`);
      await assert.rejects(
        async () => await fs.mkdir(`${dir}/d`),
        AlreadyExistsError,
      );
      await fs.writeNewFile(`${dir}/f`, bytes(""));
      await assert.rejects(
        async () => await fs.mkdir(`${dir}/f`),
        AlreadyExistsError,
      );
      await assert.rejects(
        async () => await fs.mkdir(`${dir}/x/y`),
        NotFoundError,
      );
    });

    it("mkdir() with recursive makes parents and accepts an existing directory", async ({ fs, dir }) => {
      await fs.mkdir(`${dir}/x/y/z`, { recursive: true });
      await fs.mkdir(`${dir}/x/y/z`, { recursive: true });
      assert.ok((await fs.stat(`${dir}/x/y/z`)).isDirectory);
      await fs.writeNewFile(`${dir}/f`, bytes(""));
      await assert.rejects(
        async () => await fs.mkdir(`${dir}/f/g`, { recursive: true }),
        NotADirectoryError,
      );
      await assert.rejects(
        async () => await fs.mkdir(`${dir}/f`, { recursive: true }),
        AlreadyExistsError,
      );
    });

    it("readDir() lists names with their kinds", async ({ fs, dir, symlink }) => {
      await fs.writeNewFile(`${dir}/f`, bytes(""));
      await fs.mkdir(`${dir}/d`);
      symlink(`${dir}/f`, `${dir}/l`);
      const entries = (await fs.readDir(dir))
        .map((e) => ({ ...e }))
        .sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(entries, [
        { name: "d", isFile: false, isDirectory: true, isSymlink: false },
        { name: "f", isFile: true, isDirectory: false, isSymlink: false },
        { name: "l", isFile: false, isDirectory: false, isSymlink: true },
      ]);
    });

    it("scanDir() yields what readDir() lists, and fails alike", async ({ fs, dir }) => {
      assert.ok(fs.scanDir, "every backend here streams listings");
      for (let i = 0; i < 50; i++) {
        await fs.writeNewFile(`${dir}/f${i}`, bytes(""));
      }
      await fs.mkdir(`${dir}/d`);
      const scanned = [];
      for await (const e of fs.scanDir(dir)) scanned.push({ ...e });
      const listed = (await fs.readDir(dir)).map((e) => ({ ...e }));
      const byName = (a: { name: string }, b: { name: string }) =>
        a.name.localeCompare(b.name);
      assert.deepEqual(scanned.sort(byName), listed.sort(byName));
      assert.equal(scanned.length, 51);
      await assert.rejects(async () => {
        for await (const _ of fs.scanDir!(`${dir}/no`)) { /* nothing */ }
      }, NotFoundError);
    });

    it("readDir() fails for a missing directory and for a file", async ({ fs, dir }) => {
      await assert.rejects(
        async () => await fs.readDir(`${dir}/no`),
        NotFoundError,
      );
      await fs.writeNewFile(`${dir}/f`, bytes(""));
      await assert.rejects(
        async () => await fs.readDir(`${dir}/f`),
        NotADirectoryError,
      );
    });

    it("stat() follows symbolic links, lstat() does not", async ({ fs, dir, symlink }) => {
      await fs.writeNewFile(`${dir}/f`, bytes("12345"));
      symlink(`${dir}/f`, `${dir}/l`);
      const s = await fs.stat(`${dir}/l`);
      assert.equal(s.isFile, true);
      assert.equal(s.size, 5);
      const l = await fs.lstat(`${dir}/l`);
      assert.equal(l.isSymlink, true);
      assert.equal(l.isFile, false);
      await assert.rejects(
        async () => await fs.stat(`${dir}/no`),
        NotFoundError,
      );
      await assert.rejects(
        async () => await fs.lstat(`${dir}/no`),
        NotFoundError,
      );
    });

    it("stat() reports a modification time near now, utime() sets it", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/f`, bytes(""));
      const before = (await fs.stat(`${dir}/f`)).mtime;
      assert.ok(Math.abs(before - Date.now()) < 60_000, `mtime ${before}`);
      const then = Date.UTC(2020, 0, 2, 3, 4, 5);
      await fs.utime(`${dir}/f`, then, then);
      assert.ok(Math.abs((await fs.stat(`${dir}/f`)).mtime - then) < 1);
      await assert.rejects(
        async () => await fs.utime(`${dir}/no`, then, then),
        NotFoundError,
      );
    });

    it("syncDirectory() succeeds on a directory and fails on a missing one", async ({ fs, dir }) => {
      if (!fs.capabilities.syncDirectory) return;
      await fs.syncDirectory(dir);
      await assert.rejects(
        async () => await fs.syncDirectory(`${dir}/no`),
        NotFoundError,
      );
    });

    it("watch() reports a file created in the directory", async ({ fs, dir }) => {
      if (!fs.capabilities.watch || !fs.watch) return; // optional
      const stop = new AbortController();
      const events = fs.watch(dir, stop.signal)[Symbol.asyncIterator]();
      const first = events.next();
      await new Promise((r) => setTimeout(r, 50));
      await fs.writeNewFile(`${dir}/f`, bytes("x"));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((
        r,
      ) => (timer = setTimeout(() => r("timeout"), 5000)));
      try {
        assert.notEqual(await Promise.race([first, timeout]), "timeout");
      } finally {
        clearTimeout(timer);
        stop.abort();
        await events.return?.();
      }
    });

    it("processAlive() knows its own process", ({ fs }) => {
      assert.equal(fs.processAlive(fs.pid), true);
      assert.ok(fs.hostname.length > 0);
      return Promise.resolve();
    });

    it("open() with createNew refuses a dangling symbolic link and writes nowhere", async ({ fs, dir, symlink }) => {
      await symlink(`${dir}/target`, `${dir}/link`);
      await assert.rejects(
        async () =>
          await fs.open(`${dir}/link`, { write: true, createNew: true }),
        AlreadyExistsError,
      );
      await assert.rejects(
        async () => await fs.writeNewFile(`${dir}/link`, bytes("x")),
        AlreadyExistsError,
      );
      await assert.rejects(
        async () => await fs.lstat(`${dir}/target`),
        NotFoundError,
      );
    });

    it("open() with truncate empties the file and moves its times", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/f`, bytes("12345"));
      const then = Date.UTC(2020, 0, 1);
      await fs.utime(`${dir}/f`, then, then);
      const h = await fs.open(`${dir}/f`, { write: true, truncate: true });
      await h.close();
      const info = await fs.stat(`${dir}/f`);
      assert.equal(info.size, 0);
      assert.ok(info.mtime > then && info.ctime > then);
    });

    it("stat() reports a ctime that utime() cannot set back and rename() moves", async ({ fs, dir }) => {
      await fs.writeNewFile(`${dir}/f`, bytes("x"));
      const made = (await fs.stat(`${dir}/f`)).ctime;
      assert.ok(Math.abs(made - Date.now()) < 60_000, `ctime ${made}`);
      const then = Date.UTC(2020, 0, 2);
      await fs.utime(`${dir}/f`, then, then);
      const touched = await fs.stat(`${dir}/f`);
      assert.ok(Math.abs(touched.mtime - then) < 1);
      assert.ok(touched.ctime >= made, "a utime() is a change");
      await fs.rename(`${dir}/f`, `${dir}/g`);
      assert.ok((await fs.lstat(`${dir}/g`)).ctime >= touched.ctime);
    });

    it("unlink() of a directory with entries is refused and removes nothing", async ({ fs, dir }) => {
      await fs.mkdir(`${dir}/d`);
      await fs.mkdir(`${dir}/d/e`);
      await assert.rejects(
        async () => await fs.unlink(`${dir}/d`),
        FileStoreError,
      );
      assert.ok((await fs.stat(`${dir}/d/e`)).isDirectory);
    });

    it("removeDirectory() removes an empty directory and nothing else", async ({ fs, dir }) => {
      await fs.mkdir(`${dir}/d/e`, { recursive: true });
      await fs.writeNewFile(`${dir}/f`, new Uint8Array([1]));
      await assert.rejects(
        async () => await fs.removeDirectory(`${dir}/d`),
        DirectoryNotEmptyError,
      );
      await assert.rejects(
        async () => await fs.removeDirectory(`${dir}/f`),
        NotADirectoryError,
      );
      await assert.rejects(
        async () => await fs.removeDirectory(`${dir}/missing`),
        NotFoundError,
      );
      await fs.removeDirectory(`${dir}/d/e`);
      assert.deepEqual(await fs.readDir(`${dir}/d`), []);
      assert.equal((await fs.lstat(`${dir}/f`)).size, 1);
    });

    it("processScope, where declared, is a non-empty string", ({ fs }) => {
      if (fs.processScope !== undefined) {
        assert.equal(typeof fs.processScope, "string");
        assert.ok(fs.processScope.length > 0);
      }
      return Promise.resolve();
    });
  });
}
