// The listing of an area by name (claims, recover, purge): read in one
// synchronous loop where the backend answers at once, and the same files,
// order and errors whatever the backend's listing is: a stream answered at
// once, a stream answered by promise, or no stream at all (readDir only).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  FileStore,
  type FileSystem,
  IOError,
  NotADirectoryError,
  NotFoundError,
} from "../mod.ts";
import { faultyFileSystem } from "../src/testing.ts";
import {
  type MemoryFileSystem,
  memoryFileSystem,
} from "../src/backends/memory.ts";
import { turns } from "./_answering.ts";

type Listing = "a stream at once" | "a stream by promise" | "readDir only";
const LISTINGS: Listing[] = [
  "a stream at once",
  "a stream by promise",
  "readDir only",
];

// `inner` with its listing (and, for the promised stream, its lstat) as
// `listing` says.
function listingBy(inner: MemoryFileSystem, listing: Listing): FileSystem {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === "scanDir" && listing === "readDir only") return undefined;
      if (key === "scanDir" && listing === "a stream by promise") {
        return async function* (path: string) {
          await null;
          for (const e of target.scanDir(path)) {
            await null;
            yield e;
          }
        };
      }
      if (key === "lstat" && listing === "a stream by promise") {
        return async (path: string) => {
          await null;
          return target.lstat(path);
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function setUp(
  listing: Listing,
  wrap: (fs: FileSystem) => FileSystem = (fs) => fs,
) {
  const inner: MemoryFileSystem = memoryFileSystem();
  const store = new FileStore("/s", {
    fs: wrap(listingBy(inner, listing)),
    durability: "none",
  });
  await store.prepare();
  return { inner, store };
}

const names = (inner: MemoryFileSystem, area: string) =>
  inner.readDir(`/s/${area}`).map((e) => e.name).sort();

for (const listing of LISTINGS) {
  describe(`listing by name, the backend giving ${listing}`, () => {
    test("claims take the regular files in name order and leave the rest", async () => {
      const { inner, store } = await setUp(listing);
      for (const name of ["c", "a", "b"]) {
        await store.deliver(`file ${name}`, { name });
      }
      inner.writeNewFile("/s/new/.hidden", new Uint8Array(1));
      inner.mkdir("/s/new/0-directory");
      inner.symlink("/s/new/a", "/s/new/0-link");
      const seen: string[] = [];
      for (let claim; (claim = await store.claim());) {
        seen.push(claim.name);
        await claim.done();
      }
      assert.deepEqual(seen, ["a", "b", "c"]);
      assert.deepEqual(names(inner, "new"), [
        ".hidden",
        "0-directory",
        "0-link",
      ]);
    });

    test("recover() and purge() list their areas the same way", async () => {
      const { inner, store } = await setUp(listing);
      await store.deliver("x", { name: "x" });
      const claim = (await store.claim())!;
      // nothing is dead yet: `dead` lists empty until it exists
      assert.deepEqual(await store.purge("dead", { olderThan: 0 }), []);
      await new Promise((resolve) => setTimeout(resolve, 5)); // older than 0 ms
      const recovered = await store.recover({ olderThan: 0 });
      assert.equal(recovered.length, 1);
      assert.match(recovered[0]!, /^\/s\/wait\/.*\/x~1\.w\./); // its retry
      assert.equal(claim.held, true); // it does not know yet
      assert.deepEqual(names(inner, "cur"), []);
    });

    test("a missing area is a typed error that names it", async () => {
      const { inner, store } = await setUp(listing);
      inner.removeDirectory("/s/new");
      const err = await store.claim().then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof NotFoundError, String(err));
      assert.match(err.message, /^Cannot claim from 'new'/);
      assert.deepEqual(names(inner, ""), ["cur", "tmp"]);
    });

    test("an area swapped for a link is refused, its target never listed", async () => {
      const { inner, store } = await setUp(listing);
      await store.deliver("x", { name: "x" });
      inner.mkdir("/elsewhere");
      inner.writeNewFile("/elsewhere/secret", new Uint8Array(1));
      inner.rename("/s/new", "/s/moved");
      inner.symlink("/elsewhere", "/s/new");
      const err = await store.claim().then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof NotADirectoryError, String(err));
      assert.equal(
        err.message,
        "Cannot claim from 'new': 'new' is a symbolic link",
      );
      assert.deepEqual(names(inner, "cur"), []);
      assert.deepEqual(inner.readDir("/elsewhere").map((e) => e.name), [
        "secret",
      ]);
    });

    test("a failing listing is a typed error, and the next claim lists again", async () => {
      let faulty: ReturnType<typeof faultyFileSystem> | undefined;
      const { store } = await setUp(
        listing,
        (fs) =>
          faulty = faultyFileSystem(fs, {
            operation: listing === "readDir only" ? "readDir" : "scanDir",
            nth: 1,
            error: "EIO",
          }),
      );
      await store.deliver("x", { name: "x" });
      const err = await store.claim().then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof IOError, String(err));
      assert.match(err.message, /^Cannot claim from 'new'/);
      assert.ok(faulty!.calls.length > 0);
      assert.equal((await store.claim())?.name, "x");
    });
  });
}

test("a claim lists `new` in as many microtask turns at 1,000 files as at 10, the backend answering at once", async () => {
  const turnsAt = async (count: number) => {
    const store = new FileStore("/s", {
      fs: memoryFileSystem(),
      durability: "none",
    });
    await store.prepare();
    for (let i = 0; i < count; i++) await store.deliver("x");
    await store.recover(); // the store's context is loaded
    return await turns(store.claim());
  };
  // A listing that awaited each batch of entries would take more turns for
  // four batches than for one.
  assert.equal(await turnsAt(1000), await turnsAt(10));
});
