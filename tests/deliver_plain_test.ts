// The common delivery (bytes or text, a generated name, no delay, durability
// "none") takes a path of its own that awaits nothing where the backend
// answers at once. It must do exactly what the general path does, with a
// backend that answers at once and with one that returns promises, also
// when any of its calls fails.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AlreadyExistsError,
  FileStore,
  type FileSystem,
  IOError,
} from "../mod.ts";
import { type FaultPlan, faultyFileSystem } from "../src/testing.ts";
import { type Answer, answering, ANSWERS, turns } from "./_answering.ts";
import {
  type MemoryFileSystem,
  memoryFileSystem,
} from "../src/backends/memory.ts";

const GENERATED = /^\d+\.M\d{6}P\d+Q\d+R[0-9a-f]{16}\./;

async function setUp(answer: Answer, plan?: FaultPlan) {
  const inner: MemoryFileSystem = memoryFileSystem();
  const faulty = faultyFileSystem(inner, plan);
  const fs = answering(faulty, answer);
  const store = new FileStore("/s", { fs, durability: "none" });
  await store.prepare();
  return { inner, faulty, store };
}

for (const answer of ANSWERS) {
  describe(`a plain delivery, the backend answering ${answer}`, () => {
    test("publishes bytes and text under a generated name, nothing left in tmp", async () => {
      const { inner, faulty, store } = await setUp(answer);
      const before = faulty.calls.length;
      const a = await store.deliver(new Uint8Array([1, 2, 3]));
      const b = await store.deliver("text é");
      assert.match(a, GENERATED);
      assert.match(b, GENERATED);
      // create-and-write, then one rename: two calls a file
      assert.deepEqual(
        faulty.calls.slice(before).map((c) => c.split(" ")[0]),
        ["writeNewFile", "rename", "writeNewFile", "rename"],
      );
      assert.deepEqual([...inner.readFile(`/s/new/${a}`)], [1, 2, 3]);
      assert.equal(
        new TextDecoder().decode(inner.readFile(`/s/new/${b}`)),
        "text é",
      );
      assert.deepEqual(inner.readDir("/s/tmp"), []);
    });

    for (const operation of ["writeNewFile", "rename"] as const) {
      test(`a failing ${operation} throws a typed error and leaves nothing`, async () => {
        const { inner, store } = await setUp(answer, {
          operation,
          nth: 1,
          error: "EIO",
        });
        const err = await store.deliver("x").then(
          () => assert.fail("resolved"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof IOError, String(err));
        assert.match(err.message, /^Cannot deliver '\d+\.M/);
        assert.equal((err.cause as { code?: string }).code, "EIO");
        assert.deepEqual(inner.readDir("/s/tmp"), [], "tmp is empty");
        assert.deepEqual(inner.readDir("/s/new"), [], "nothing delivered");
        // and the next delivery goes through
        const name = await store.deliver("y");
        assert.equal(
          new TextDecoder().decode(inner.readFile(`/s/new/${name}`)),
          "y",
        );
      });
    }

    test("a temporary that already exists is left to its owner", async () => {
      const inner = memoryFileSystem();
      let temp = "";
      const squatted: FileSystem = new Proxy(inner, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (key === "writeNewFile") {
            return (path: string, data: Uint8Array, mode?: number) => {
              temp = path;
              target.writeNewFile(path, new TextEncoder().encode("theirs"));
              return target.writeNewFile(path, data, mode);
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const fs = answering(squatted, answer);
      const store = new FileStore("/s", { fs, durability: "none" });
      await store.prepare();
      await assert.rejects(store.deliver("mine"), AlreadyExistsError);
      assert.equal(new TextDecoder().decode(inner.readFile(temp)), "theirs");
      assert.deepEqual(inner.readDir("/s/new"), []);
    });
  });
}

test("with a backend that answers at once, a plain delivery awaits nothing", async () => {
  const store = new FileStore("/s", {
    fs: memoryFileSystem(),
    durability: "none",
  });
  await store.prepare();
  await store.deliver("warm");
  const plain = await turns(store.deliver("x"));
  // the general path, for comparison: the same delivery with fsyncs
  const general = await turns(store.deliver("x", { durability: "file" }));
  assert.ok(plain <= 3, `plain delivery settled after ${plain} turns`);
  assert.ok(plain < general, `${plain} turns, the general path ${general}`);
});
