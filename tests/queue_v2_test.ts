// What protocol v2 changed for a queue's users, on every backend: the claim
// order, names waiting twice, ages that outside tools cannot fake, a released
// file claimed in its place, and the watch that wakes a consumer.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import { test } from "node:test";
import { FileStore } from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { backends, backendSuite, storeTest, text } from "./_backends.ts";

async function drain(store: FileStore): Promise<string[]> {
  const bodies: string[] = [];
  for await (const claim of store.claims()) {
    bodies.push(await claim.text());
    await claim.done();
  }
  return bodies;
}

for (const backend of backends) {
  backendSuite(`queue v2 (${backend.name})`, backend, () => {
    const it = storeTest(backend, { durability: "none", backoff: false });

    it("claim() takes names in UTF-8 byte order, as other languages sort them", async ({ store }) => {
      for (const name of ["\u{1F600}", "\uffff", "z", "\u00e9"]) {
        await store.deliver(name, { name });
      }
      assert.deepEqual(await drain(store), [
        "z",
        "\u00e9",
        "\uffff",
        "\u{1F600}",
      ]);
    });

    it("list() sorts in the same UTF-8 byte order", async ({ store, root }) => {
      for (const name of ["\u{1F600}", "\uffff"]) {
        await store.deliver(name, { name });
      }
      assert.deepEqual(await store.list("new"), [
        `${root}/new/\uffff`,
        `${root}/new/\u{1F600}`,
      ]);
    });

    it("deliver() under a name whose retry waits is accepted, and neither jams the queue", async ({ store }) => {
      await store.deliver("first", { name: "X" });
      const claim = await store.claim();
      await claim!.fail(); // X waits as a retry
      await store.deliver("second", { name: "X" }); // a fresh X as well
      const again = await store.claim();
      assert.deepEqual([again?.name, again?.attempts], ["X", 0]);
      await again!.fail(); // a second retry of X: no collision
      const bodies: string[] = [];
      for await (const c of store.claims()) {
        bodies.push(`${await c.text()}@${c.attempts}`);
        await c.done();
      }
      assert.deepEqual(bodies.sort(), ["first@1", "second@1"]);
    });

    it("Claim.release() puts the file back in its place, before later candidates", async ({ store }) => {
      for (const name of ["a", "b", "c"]) await store.deliver(name, { name });
      const first = await store.claim(); // the listing [b, c] is cached now
      assert.equal(first?.name, "a");
      await first!.release();
      const next = await store.claim();
      assert.equal(next?.name, "a", "the released file comes first again");
      await next!.done();
      assert.deepEqual(await drain(store), ["b", "c"]);
    });

    it("recover() counts a claim made in 2100 as a claim, judged by its age", async ({ open }) => {
      const future = open({ now: () => Date.UTC(2100, 0, 1) });
      await future.deliver("x", { name: "x" });
      await future.claim();
      assert.equal((await future.stats()).cur.claimed, 1);
      assert.deepEqual(await future.recover(), []);
      const later = open({ now: () => Date.UTC(2100, 0, 1, 1) });
      assert.equal((await later.recover()).length, 1);
    });

    it("recover() takes back a claim whose file has an mtime far in the future", async ({ fs, store, clock }) => {
      await store.deliver("x", { name: "x" });
      const claim = await store.claim();
      // A writer that sets mtime from a message date, or cp -p.
      const then = Date.UTC(2100, 0, 1);
      await fs.utime(claim!.path, then, then);
      assert.deepEqual(await store.recover(), []); // young by its ctime
      clock.ahead = 11 * 60_000;
      assert.equal((await store.recover()).length, 1);
    });

    it("an mtime a few seconds ahead still renews a claim (clock skew)", async ({ fs, store, clock }) => {
      await store.deliver("x", { name: "x" });
      const claim = await store.claim();
      clock.ahead = 9 * 60_000;
      const soon = Date.now() + clock.ahead + 30_000;
      await fs.utime(claim!.path, soon, soon); // a touch from a host ahead
      clock.ahead = 11 * 60_000;
      assert.deepEqual(await store.recover(), []);
    });
  });
}

test("consume() with watch wakes on a delivery long before its poll interval", async () => {
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs });
  await store.prepare();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 5_000); // the test's bound
  const started = Date.now();
  let woke = 0;
  const running = store.consume(() => {
    woke = Date.now() - started;
    stop.abort();
  }, { watch: true, pollInterval: 600_000, signal: stop.signal });
  await new Promise((r) => setTimeout(r, 100));
  await store.deliver("late");
  const result = await running;
  clearTimeout(timer);
  assert.equal(result.handled, 1, "woken by the watch, not the poll");
  assert.ok(woke > 0 && woke < 2_000, `woke after ${woke} ms`);
});

test(
  "a name that is not UTF-8 is never listed under a path that does not exist",
  {
    skip: process.platform === "linux" ? false : "needs Linux byte names",
  },
  async () => {
    const { tempDir } = await import("./_backends.ts");
    const { nodeFileSystem } = await import("../src/backends/node.ts");
    const { dir, cleanup } = tempDir();
    try {
      const store = new FileStore(`${dir}/s`, { fs: nodeFileSystem() });
      await store.prepare();
      // Another tool's file named "f" and the byte 0xFF, which no UTF-8
      // has (made by the shell: Deno's node:fs decodes Buffer paths lossily).
      const made = spawnSync("sh", [
        "-c",
        'printf foreign > "$1/f$(printf "\\377")"',
        "sh",
        `${dir}/s/new`,
      ]);
      assert.equal(made.status, 0);
      assert.equal(nodeFs.readdirSync(`${dir}/s/new`).length, 1);
      await store.deliver("mine", { name: "mine" });
      assert.deepEqual(await store.list("new"), [`${dir}/s/new/mine`]);
      const claim = await store.claim();
      assert.equal(claim?.name, "mine");
      await claim!.done();
      assert.equal(await store.claim(), null);
      const stats = await store.stats();
      assert.equal(stats.new.count, 0);
      assert.equal(stats.new.ignored, 1, "visible to an operator in stats()");
      const left = spawnSync("sh", ["-c", 'cat "$1"/f*', "sh", `${dir}/s/new`]);
      assert.equal(text(left.stdout), "foreign", "left where it was");
    } finally {
      await cleanup();
    }
  },
);
