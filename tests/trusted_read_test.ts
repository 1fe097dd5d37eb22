// A claim's read passes the size its claimer's lstat saw
// (FileSystem.readFile's trustedSize), so that the backends skip the checks
// that lstat already made: and only then.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FileStore, type FileSystem, type ReadFileOptions } from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { backends, backendSuite, storeTest, text } from "./_backends.ts";

// Records the options of every readFile; `failLstat` makes lstat of a path
// in `cur` fail while it is true.
function watched(inner: FileSystem): {
  fs: FileSystem;
  reads: (ReadFileOptions | undefined)[];
  failLstat: { on: boolean };
} {
  const reads: (ReadFileOptions | undefined)[] = [];
  const failLstat = { on: false };
  const fs = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === "readFile") {
        return (path: string, options?: ReadFileOptions) => {
          reads.push(options);
          return target.readFile(path, options);
        };
      }
      if (key === "lstat") {
        return (path: string) => {
          if (failLstat.on && path.includes("/cur/")) {
            throw new Error("lstat refused by the test");
          }
          return target.lstat(path);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { fs, reads, failLstat };
}

test("a claim's read passes the size its claimer's lstat saw", async () => {
  const { fs, reads } = watched(memoryFileSystem());
  const store = new FileStore("/s", { fs });
  await store.prepare();
  await store.deliver("hello", { name: "a" });
  const claim = await store.claim();
  assert.ok(claim);
  assert.equal(await claim.text(), "hello");
  assert.deepEqual(reads, [{ trustedSize: 5 }]);
  // A claim taken up by its entry (claimed()) was looked at as well.
  const again = await store.claimed(claim.entry);
  assert.equal(await again.text(), "hello");
  assert.deepEqual(reads.at(-1), { trustedSize: 5 });
  await claim.done();
});

test("a claim whose look failed is read with the backend's own checks", async () => {
  const { fs, reads, failLstat } = watched(memoryFileSystem());
  const store = new FileStore("/s", { fs });
  await store.prepare();
  await store.deliver("hello", { name: "a" });
  failLstat.on = true;
  const claim = await store.claim();
  failLstat.on = false;
  assert.ok(claim, "handed out all the same");
  assert.equal(await claim.text(), "hello");
  assert.deepEqual(reads, [undefined]);
});

for (const backend of backends) {
  backendSuite(`trusted reads (${backend.name})`, backend, () => {
    const it = storeTest(backend, { durability: "none" });
    it("a claim reads its whole file, empty or large", async ({ store }) => {
      const big = "x".repeat(200_003);
      await store.deliver(big, { name: "big" });
      await store.deliver("", { name: "empty" });
      const seen = new Map<string, string>();
      for (let claim; (claim = await store.claim());) {
        seen.set(claim.name, text(await claim.read()));
        await claim.done();
      }
      assert.equal(seen.get("big"), big);
      assert.equal(seen.get("empty"), "");
    });
  });
}
