// The original gocept.filestore API, with its defects fixed, on every backend.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AlreadyExistsError,
  FileStore,
  InvalidAreaError,
  InvalidNameError,
  InvalidStateError,
  MAX_NAME_BYTES,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
} from "../mod.ts";
import type { Area, FileSystem } from "../mod.ts";
import {
  backends,
  backendSuite,
  bytes,
  type Sandbox,
  text,
  withSandbox,
} from "./_backends.ts";
import { recording } from "./_recording.ts";

// Every entry below `dir`, as "path" or "path/" for directories.
async function tree(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string, prefix: string) => {
    for (const e of await fs.readDir(path)) {
      if (e.isDirectory) {
        out.push(`${prefix}${e.name}/`);
        await walk(`${path}/${e.name}`, `${prefix}${e.name}/`);
      } else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(dir, "");
  return out.sort();
}

// [what, name, whether an existing entry may have it (move/copy/remove/read
// take entries, which carry the protocol's '~' suffix and up to 255 bytes)]
const BAD_NAMES: [string, string, boolean?][] = [
  ["empty", ""],
  ["dot", "."],
  ["dot-dot", ".."],
  ["a parent path", "../x"],
  ["a separator", "a/b"],
  ["a backslash", "a\\b"],
  ["NUL", "a\0b"],
  ["a newline", "a\nb"],
  ["a leading dot", ".hidden"],
  ["a tilde", "a~1", true],
  ["a lone surrogate", "a\ud800b"],
  ["a colon (maildir's info separator)", "job:1", true],
  ["a maildir flag suffix", "note:2,T", true],
  ["a C1 control", "a\u009bb"],
  ["a right-to-left override", "invoice\u202Efdp.exe"],
  ["a left-to-right isolate", "a\u2066b"],
  ["too many bytes", "é".repeat(Math.floor(MAX_NAME_BYTES / 2) + 1), true],
  ["more bytes than a filesystem takes", "x".repeat(256)],
];

for (const backend of backends) {
  backendSuite(`FileStore (${backend.name})`, backend, () => {
    const it = (
      name: string,
      fn: (s: Sandbox & { store: FileStore; root: string }) => Promise<void>,
    ) =>
      test(name, () =>
        withSandbox(backend, async (sandbox) => {
          const root = `${sandbox.dir}/store`;
          const store = new FileStore(root, { fs: sandbox.fs });
          await fn({ ...sandbox, store, root });
        }));

    it("walks the original scenario", async ({ store, root }) => {
      await store.prepare();
      const f = await store.create("a-file");
      await f.write("Die Ente bleibt draussen!");
      await f.close();
      assert.deepEqual(await store.list("tmp"), [`${root}/tmp/a-file`]);
      assert.deepEqual(await store.list("new"), []);
      await store.move("a-file", "tmp", "new");
      assert.deepEqual(await store.list("tmp"), []);
      assert.deepEqual(await store.list("new"), [`${root}/new/a-file`]);
      await store.move(`${root}/new/a-file`, "new", "cur");
      assert.deepEqual(await store.list("cur"), [`${root}/cur/a-file`]);
      await store.copy("a-file", "cur", "tmp");
      assert.equal(
        text(await store.read("a-file", "tmp")),
        "Die Ente bleibt draussen!",
      );
      assert.equal(
        text(await store.read("a-file", "cur")),
        "Die Ente bleibt draussen!",
      );
      await store.remove("a-file", "tmp");
      await store.remove(`${root}/cur/a-file`, "cur");
      for (const area of ["tmp", "new", "cur"] as const) {
        assert.deepEqual(await store.list(area), []);
      }
    });

    it("prepare() makes the directory with its parents and exactly three areas", async ({ fs, dir }) => {
      const store = new FileStore(`${dir}/a/b/store`, { fs });
      await store.prepare();
      await store.prepare();
      assert.deepEqual(await tree(fs, `${dir}/a/b/store`), [
        "cur/",
        "new/",
        "tmp/",
      ]);
    });

    it("prepare() refuses a file where an area should be", async ({ fs, store, root }) => {
      await fs.mkdir(root);
      await fs.writeNewFile(`${root}/new`, bytes(""));
      const err = await store.prepare().catch((e) => e);
      assert.ok(err instanceof NotADirectoryError, String(err));
      assert.match(err.message, /'new' is not a directory/);
    });

    it("prepare() refuses an area that is a symbolic link", async ({ fs, dir, store, root, symlink }) => {
      await fs.mkdir(root);
      await fs.mkdir(`${dir}/elsewhere`);
      symlink(`${dir}/elsewhere`, `${root}/cur`);
      const err = await store.prepare().catch((e) => e);
      assert.ok(err instanceof NotADirectoryError, String(err));
      assert.match(err.message, /'cur' is a symbolic link/);
    });

    it("prepare() refuses a file where the store should be", async ({ fs, store, root }) => {
      await fs.writeNewFile(root, bytes(""));
      await assert.rejects(store.prepare(), NotADirectoryError);
    });

    it("create() modes write, append and refuse", async ({ store }) => {
      await store.prepare();
      let f = await store.create("f");
      await f.write("one");
      await f.close();
      f = await store.create("f", "a");
      await f.write(bytes(" two"));
      await f.close();
      assert.equal(text(await store.read("f", "tmp")), "one two");
      f = await store.create("f", "w");
      await f.write("three");
      await f.close();
      assert.equal(text(await store.read("f", "tmp")), "three");
      await assert.rejects(store.create("f", "x"), AlreadyExistsError);
      assert.equal(text(await store.read("f", "tmp")), "three");
      await assert.rejects(
        // @ts-expect-error: a mode that does not exist
        store.create("g", "r"),
        TypeError,
      );
    });

    it("create() works with await using and refuses writes after close", async ({ store }) => {
      await store.prepare();
      let kept;
      {
        await using f = await store.create("f");
        await f.write("x");
        kept = f;
      }
      assert.equal(kept.closed, true);
      await assert.rejects(kept.write("y"), InvalidStateError);
      assert.equal(text(await store.read("f", "tmp")), "x");
    });

    it("create() in an unprepared store fails with NotFoundError", async ({ store }) => {
      await assert.rejects(store.create("f"), NotFoundError);
    });

    it("list() sorts, gives full paths and skips dotfiles and directories", async ({ fs, store, root }) => {
      await store.prepare();
      for (const name of ["b", "a", "c"]) {
        await fs.writeNewFile(`${root}/new/${name}`, bytes(name));
      }
      await fs.writeNewFile(`${root}/new/.hidden`, bytes(""));
      await fs.mkdir(`${root}/new/subdir`);
      assert.deepEqual(await store.list("new"), [
        `${root}/new/a`,
        `${root}/new/b`,
        `${root}/new/c`,
      ]);
      assert.deepEqual(await store.list("dead"), []);
    });

    it("walk() yields the files of an area as list() does, unsorted", async ({ fs, store, root }) => {
      await store.prepare();
      for (let i = 0; i < 30; i++) {
        await store.deliver(String(i), { name: `f${i}` });
      }
      await fs.writeNewFile(`${root}/new/.hidden`, bytes(""));
      await fs.mkdir(`${root}/new/subdir`);
      const walked = [];
      for await (const path of store.walk("new")) walked.push(path);
      assert.deepEqual(walked.sort(), await store.list("new"));
      const dead = [];
      for await (const path of store.walk("dead")) dead.push(path);
      assert.deepEqual(dead, []);
    });

    it("list() of an unprepared store fails with NotFoundError", async ({ store }) => {
      await assert.rejects(store.list("new"), NotFoundError);
    });

    it("move() refuses to replace a file and changes nothing", async ({ store }) => {
      await store.prepare();
      await store.deliver("in tmp", { name: "a-file" });
      await store.move("a-file", "new", "cur");
      const f = await store.create("a-file");
      await f.write("other");
      await f.close();
      const err = await store.move("a-file", "tmp", "cur").catch((e) => e);
      assert.ok(err instanceof AlreadyExistsError);
      assert.equal(
        err.message,
        "Cannot move 'a-file' from 'tmp' to 'cur': 'cur/a-file' already exists",
      );
      assert.equal(text(await store.read("a-file", "tmp")), "other");
      assert.equal(text(await store.read("a-file", "cur")), "in tmp");
    });

    it("move() with overwrite replaces the target", async ({ store }) => {
      await store.prepare();
      await store.deliver("old", { name: "x" });
      await store.move("x", "new", "cur");
      await store.deliver("new", { name: "x" });
      await store.move("x", "new", "cur", { overwrite: true });
      assert.equal(text(await store.read("x", "cur")), "new");
      assert.deepEqual(await store.list("new"), []);
    });

    it("move() of a missing file fails with NotFoundError naming it", async ({ store }) => {
      await store.prepare();
      const err = await store.move("ghost", "new", "cur").catch((e) => e);
      assert.ok(err instanceof NotFoundError);
      assert.equal(
        err.message,
        "Cannot move 'ghost' from 'new' to 'cur': 'new/ghost' does not exist",
      );
    });

    it("copy() publishes atomically and leaves nothing in tmp", async ({ store }) => {
      await store.prepare();
      const big = new Uint8Array(300_000).map((_, i) => i % 251);
      await store.deliver(big, { name: "big" });
      await store.copy("big", "new", "cur");
      assert.deepEqual(await store.read("big", "cur"), big);
      assert.deepEqual(await store.read("big", "new"), big);
      assert.deepEqual(await store.list("tmp"), []);
      assert.deepEqual(await store.clean({ olderThan: 0 }), []);
    });

    it("copy() refuses to replace, leaving target and tmp unchanged", async ({ store }) => {
      await store.prepare();
      await store.deliver("a", { name: "x" });
      await store.copy("x", "new", "cur");
      await store.remove("x", "new");
      await store.deliver("b", { name: "x" });
      await assert.rejects(store.copy("x", "new", "cur"), AlreadyExistsError);
      assert.equal(text(await store.read("x", "cur")), "a");
      assert.deepEqual(await store.clean({ olderThan: 0 }), []);
      await store.copy("x", "new", "cur", { overwrite: true });
      assert.equal(text(await store.read("x", "cur")), "b");
    });

    it("copy() of a missing file fails and leaves nothing in tmp", async ({ store }) => {
      await store.prepare();
      await assert.rejects(store.copy("ghost", "new", "cur"), NotFoundError);
      assert.deepEqual(await store.clean({ olderThan: 0 }), []);
    });

    it("remove() and read() fail with NotFoundError for a missing file", async ({ store }) => {
      await store.prepare();
      await assert.rejects(store.remove("ghost", "new"), NotFoundError);
      await assert.rejects(store.read("ghost", "new"), NotFoundError);
    });

    it("read() refuses a symbolic link instead of following it", async ({ dir, store, root, fs, symlink }) => {
      await store.prepare();
      await fs.writeNewFile(`${dir}/secret`, bytes("outside"));
      symlink(`${dir}/secret`, `${root}/new/link`);
      await assert.rejects(store.read("link", "new"), NotAFileError);
      await assert.rejects(store.copy("link", "new", "cur"), NotAFileError);
      assert.deepEqual(await store.list("new"), []);
      assert.equal(await store.claim(), null);
    });

    it("remove() refuses a directory", async ({ store, root, fs }) => {
      await store.prepare();
      await fs.mkdir(`${root}/new/d`);
      await assert.rejects(store.remove("d", "new"), NotAFileError);
    });

    for (const [what, name, entryOk] of BAD_NAMES) {
      it(`refuses a name with ${what} before touching the disk`, async ({ fs, dir, root }) => {
        const setup = new FileStore(root, { fs });
        await setup.prepare();
        await setup.deliver("x", { name: "ok" });
        const before = await tree(fs, dir);
        const { fs: spy, calls } = recording(fs);
        const store = new FileStore(root, { fs: spy });
        await assert.rejects(store.create(name), InvalidNameError);
        await assert.rejects(store.deliver("x", { name }), InvalidNameError);
        if (!entryOk && !["../x", "a/b", "a\\b"].includes(name)) {
          // Paths are accepted there: their last segment is the name.
          await assert.rejects(
            store.move(name, "new", "cur"),
            InvalidNameError,
          );
          await assert.rejects(
            store.copy(name, "new", "cur"),
            InvalidNameError,
          );
          await assert.rejects(store.remove(name, "new"), InvalidNameError);
          await assert.rejects(store.read(name, "new"), InvalidNameError);
        }
        assert.deepEqual(calls, []);
        assert.deepEqual(await tree(fs, dir), before);
      });
    }

    it("takes the last segment of a path, so nothing escapes the store", async ({ fs, dir, store, root }) => {
      await store.prepare();
      await fs.writeNewFile(`${dir}/outside`, bytes("keep"));
      await store.deliver("inside", { name: "outside" });
      await store.move("../../outside", "new", "cur");
      assert.equal(text(await fs.readFile(`${dir}/outside`)), "keep");
      assert.equal(
        text(await store.read(`${root}/cur/outside`, "cur")),
        "inside",
      );
    });

    it("accepts a name of the maximum length", async ({ store }) => {
      await store.prepare();
      const name = "n".repeat(MAX_NAME_BYTES);
      const f = await store.create(name);
      await f.close();
      await store.move(name, "tmp", "new");
      assert.equal((await store.list("new")).length, 1);
    });

    for (const area of ["..", "", "foo", "new/..", "NEW"]) {
      it(`refuses the area '${area}' before touching the disk`, async ({ fs, dir, root }) => {
        const setup = new FileStore(root, { fs });
        await setup.prepare();
        const before = await tree(fs, dir);
        const { fs: spy, calls } = recording(fs);
        const store = new FileStore(root, { fs: spy });
        const bad = area as Area;
        await assert.rejects(store.list(bad), InvalidAreaError);
        await assert.rejects(store.move("x", bad, "new"), InvalidAreaError);
        await assert.rejects(store.move("x", "new", bad), InvalidAreaError);
        await assert.rejects(store.copy("x", "new", bad), InvalidAreaError);
        await assert.rejects(store.remove("x", bad), InvalidAreaError);
        await assert.rejects(store.read("x", bad), InvalidAreaError);
        assert.deepEqual(calls, []);
        assert.deepEqual(await tree(fs, dir), before);
      });
    }

    it("refuses arguments of the wrong type with TypeError", async ({ store }) => {
      const anyStore = store as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >;
      await assert.rejects(anyStore.create!.call(store, 42), TypeError);
      await assert.rejects(anyStore.list!.call(store, null), TypeError);
      await assert.rejects(anyStore.deliver!.call(store, 42), TypeError);
      assert.throws(() => new FileStore(""), TypeError);
      const durability = "some" as unknown as "full";
      assert.throws(() => new FileStore("/x", { durability }), TypeError);
    });
  });
}
