// The common claim, read and done (a candidate in the cache, nothing to
// promote; a removal with no reason to drop and no fsync) take paths that
// await nothing where the backend answers at once. They must do exactly
// what the general paths do, with a backend that answers at once, by
// promise, or by promise for some calls only, also when a call fails.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ClaimLostError,
  FileStore,
  type FileSystem,
  InvalidStateError,
  IOError,
} from "../mod.ts";
import { type FaultPlan, faultyFileSystem } from "../src/testing.ts";
import {
  type MemoryFileSystem,
  memoryFileSystem,
} from "../src/backends/memory.ts";
import { promising, turns } from "./_answering.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

// What `p` rejects with; it must not resolve.
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(() => assert.fail("resolved"), (e: unknown) => e);

// Which calls answer by promise (undefined: none; "all": every one).
// (a listing stays a stream: the store reads it as the backend gives it)
const EVERY_CALL = [
  "rename",
  "lstat",
  "readFile",
  "unlink",
  "readDir",
  "writeNewFile",
  "mkdir",
  "stat",
  "link",
  "utime",
  "syncDirectory",
  "open",
];
const MODES: [string, string[] | undefined][] = [
  ["at once", undefined],
  ["by promise", EVERY_CALL],
  ["by promise for renames only", ["rename"]],
  ["by promise for lstat only", ["lstat"]],
  ["by promise for reads and unlinks only", ["readFile", "unlink"]],
];

async function setUp(
  mode: string[] | undefined,
  plan?: FaultPlan,
  wrap: (fs: FileSystem) => FileSystem = (fs) => fs,
) {
  const inner: MemoryFileSystem = memoryFileSystem();
  const faulty = faultyFileSystem(inner, plan);
  const wrapped = wrap(faulty);
  const fs = mode === undefined ? wrapped : promising(wrapped, mode);
  const store = new FileStore("/s", { fs, durability: "none" });
  await store.prepare();
  // generated names (two calls each: no link, no unlink), in this order
  const names: Record<string, string> = {};
  for (const label of ["a", "b", "c"]) {
    names[await store.deliver(`file ${label}`)] = label;
  }
  const label = (name: string | undefined) =>
    name === undefined ? undefined : names[name] ?? name;
  const nameOf = (l: string) => Object.keys(names).find((n) => names[n] === l)!;
  return { inner, faulty, store, label, nameOf };
}

const files = (inner: MemoryFileSystem, area: string) =>
  inner.readDir(`/s/${area}`).map((e) => e.name);

for (const [answer, mode] of MODES) {
  describe(`a plain claim, read and done, the backend answering ${answer}`, () => {
    test("take the files in order, each with a rename, an lstat, a read and an unlink", async () => {
      const { inner, faulty, store, label } = await setUp(mode);
      const seen: string[] = [];
      for (let claim; (claim = await store.claim());) {
        // the listing of `new` goes first; then four calls a file
        const before = faulty.calls.length;
        seen.push(`${label(claim.name)}: ${decode(await claim.read())}`);
        await claim.done();
        assert.equal(claim.held, false);
        assert.deepEqual(
          faulty.calls.slice(before).map((c) => c.split(" ")[0]),
          ["readFile", "unlink"],
        );
      }
      assert.deepEqual(seen, ["a: file a", "b: file b", "c: file c"]);
      assert.deepEqual(files(inner, "new"), []);
      assert.deepEqual(files(inner, "cur"), []);
      const claims = faulty.calls.filter((c) =>
        c.startsWith("rename ") && c.includes("/s/new/")
      );
      assert.equal(claims.length, 3);
    });

    test("a failing rename throws a typed error and leaves the file in new", async () => {
      const { inner, store, label, nameOf } = await setUp(mode, {
        operation: "rename",
        nth: 4, // the three deliveries, then the first claim
      });
      const err = await rejection(store.claim());
      assert.ok(err instanceof IOError, String(err));
      assert.ok(err.message.startsWith(`Cannot claim '${nameOf("a")}'`));
      assert.deepEqual(files(inner, "new").map(label).sort(), ["a", "b", "c"]);
      assert.deepEqual(files(inner, "cur"), []);
      // the next claim takes the next candidate; "a" is there after a relisting
      assert.equal(label((await store.claim())?.name), "b");
    });

    test("a candidate another claimer took is passed over for the next", async () => {
      const { inner, store, label, nameOf } = await setUp(mode);
      const a = await store.claim();
      assert.equal(label(a?.name), "a");
      // "b" goes behind the store's back, after its listing
      inner.rename(
        `/s/new/${nameOf("b")}`,
        `/s/cur/${nameOf("b")}~0.c.elsewhere`,
      );
      const next = await store.claim();
      assert.equal(label(next?.name), "c");
      assert.equal(await next!.text(), "file c");
      await next!.done();
      assert.equal(await store.claim(), null);
    });

    test("a claim whose look fails is handed out and read all the same", async () => {
      const { store, label } = await setUp(mode, {
        operation: "lstat",
        nth: 1,
      });
      const claim = await store.claim();
      assert.equal(label(claim?.name), "a");
      assert.equal(await claim!.text(), "file a");
      await claim!.done();
    });

    test("an entry that is not a regular file after the rename is set aside", async () => {
      let first = true;
      const { inner, store, label, nameOf } = await setUp(
        mode,
        undefined,
        (fs) =>
          new Proxy(fs, {
            get(target, key, receiver) {
              const value = Reflect.get(target, key, receiver);
              if (key === "lstat") {
                return (path: string) => {
                  const info = target.lstat(path);
                  if (!(first && path.includes("/s/cur/"))) return info;
                  first = false;
                  // as if a producer had put a link there before the rename
                  const look = (i: Awaited<typeof info>) => ({
                    ...i,
                    isFile: false,
                    isSymlink: true,
                  });
                  return info instanceof Promise ? info.then(look) : look(info);
                };
              }
              return typeof value === "function" ? value.bind(target) : value;
            },
          }),
      );
      const claim = await store.claim();
      assert.equal(label(claim?.name), "b");
      assert.equal(files(inner, "dead").length, 1);
      assert.ok(files(inner, "dead")[0]!.startsWith(`${nameOf("a")}~`));
    });

    test("a failing read rejects, and the claim stays held", async () => {
      const { store, nameOf } = await setUp(mode, {
        operation: "readFile",
        nth: 1,
      });
      const claim = (await store.claim())!;
      const err = await rejection(claim.read());
      assert.ok(err instanceof IOError, String(err));
      assert.ok(err.message.startsWith(`Cannot read '${nameOf("a")}'`));
      assert.equal(claim.held, true);
      assert.equal(await claim.text(), "file a");
    });

    test("a read of a claim that is gone is ClaimLostError", async () => {
      const { inner, store } = await setUp(mode);
      const claim = (await store.claim())!;
      inner.unlink(`/s/cur/${claim.entry}`);
      await assert.rejects(claim.read(), ClaimLostError);
      await assert.rejects(claim.done(), ClaimLostError);
      assert.equal(claim.held, true);
    });

    test("a failing unlink rejects, leaves the claim held and in cur", async () => {
      const { inner, store, nameOf } = await setUp(mode, {
        operation: "unlink",
        nth: 1,
      });
      const claim = (await store.claim())!;
      const err = await rejection(claim.done());
      assert.ok(err instanceof IOError, String(err));
      assert.ok(err.message.startsWith(`Cannot finish '${nameOf("a")}'`));
      assert.equal(claim.held, true);
      assert.deepEqual(files(inner, "cur"), [claim.entry]);
      await claim.done();
      assert.equal(claim.held, false);
      assert.deepEqual(files(inner, "cur"), []);
      await assert.rejects(claim.done(), InvalidStateError);
    });

    test("bad options reject, they do not throw", async () => {
      const { inner, store } = await setUp(mode);
      const claimed = store.claim({ maxAttempts: -1 });
      assert.ok(claimed instanceof Promise);
      await assert.rejects(claimed, /Invalid maxAttempts '-1'/);
      assert.deepEqual(files(inner, "cur"), []);
    });
  });
}

test("with a backend that answers at once, claim, read and done await nothing", async () => {
  const store = new FileStore("/s", {
    fs: memoryFileSystem(),
    durability: "none",
  });
  await store.prepare();
  for (const name of ["a", "b", "c"]) await store.deliver(name, { name });
  (await store.claim())!.done(); // lists `new` and fills the cache
  const claimed = store.claim();
  assert.ok(await turns(claimed) <= 1, "claim()");
  const claim = (await claimed)!;
  assert.ok(await turns(claim.read()) <= 1, "read()");
  assert.ok(await turns(claim.done()) <= 1, "done()");
  // the general finish, for comparison: keeping the file
  const kept = (await store.claim())!;
  const general = await turns(kept.done({ keep: true }));
  assert.ok(general > 1, `the general done() took ${general} turns`);
});
