// The operators' calls on every backend: failure reasons kept through
// retries and into `dead` (bounded, never blocking a file, never outliving
// it), entries() with their details, requeue(), purge(), and detached
// claims with their own lease.
import assert from "node:assert/strict";
import {
  FileStore,
  InvalidAreaError,
  InvalidNameError,
  MAX_REASON_BYTES,
  NotFoundError,
} from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { faultyFileSystem } from "../src/testing/faulty.ts";
import {
  entryOf,
  parseEntry,
  reasonKeyOf,
  waitingEntryOf,
} from "../src/_entry.ts";
import { test } from "node:test";
import { backends, backendSuite, collect, storeTest } from "./_backends.ts";

const HOUR = 3_600_000;

for (const backend of backends) {
  backendSuite(`operators (${backend.name})`, backend, () => {
    const it = storeTest(backend, { durability: "full", backoff: false });

    it("fail(reason) keeps the last reason through retries and into dead", async ({ store }) => {
      await store.deliver("body", { name: "job" });
      await (await store.claim())!.fail(new Error("upstream 503"));
      const [ready] = await collect(store.entries("new"));
      assert.deepEqual(
        [ready!.name, ready!.attempts, ready!.state, ready!.reason],
        ["job", 1, "ready", "upstream 503"],
      );
      const again = (await store.claim())!;
      const [held] = await collect(store.entries("cur"));
      assert.deepEqual([held!.state, held!.reason], [
        "claimed",
        "upstream 503",
      ]);
      await again.fail(); // no reason given: the one it had stays
      assert.equal(
        (await collect(store.entries("new")))[0]!.reason,
        "upstream 503",
      );
      await (await store.claim())!.fail({ status: 404 }, { delay: 60_000 });
      const [waiting] = await collect(store.entries("wait"));
      assert.equal(waiting!.reason, '{"status":404}');
      assert.equal(waiting!.state, "waiting");
      assert.ok(waiting!.due! > Date.now());
      const [fresh] = await collect(store.entries("new"));
      assert.equal(fresh, undefined);
    });

    it("a reason is cut at MAX_REASON_BYTES on a character, and a dead letter keeps it", async ({ store }) => {
      await store.deliver("body", { name: "big" });
      const long = "é".repeat(MAX_REASON_BYTES); // two bytes each
      await (await store.claim({ maxAttempts: 1 }))!.fail(long);
      const [dead] = await collect(store.entries("dead"));
      const bytes = new TextEncoder().encode(dead!.reason!).length;
      assert.ok(bytes <= MAX_REASON_BYTES, String(bytes));
      assert.ok(bytes > MAX_REASON_BYTES - 8);
      assert.match(dead!.reason!, /^é+…$/);
      assert.deepEqual([dead!.state, dead!.attempts, dead!.size], [
        "dead",
        1,
        4,
      ]);
    });

    it("done() removes the reason with the file; a kept file keeps it", async ({ store, root, fs }) => {
      await store.deliver("a", { name: "a" });
      await store.deliver("b", { name: "b" });
      const [first, second] = [await store.claim(), await store.claim()];
      await first!.fail("once");
      await second!.fail("twice");
      await (await store.claim())!.done();
      await (await store.claim())!.done({ keep: true });
      const [kept] = await collect(store.entries("cur"));
      assert.deepEqual([kept!.name, kept!.state, kept!.reason], [
        "b",
        "finished",
        "twice",
      ]);
      assert.equal((await fs.readDir(`${root}/reasons`)).length, 1);
      assert.deepEqual(await store.purge("cur", { olderThan: 0 }), [
        kept!.path,
      ]);
      assert.deepEqual(await fs.readDir(`${root}/reasons`), []);
    });

    it("requeue() moves a dead letter back to new with its attempts reset, once", async ({ store }) => {
      await store.deliver("x", { name: "x" });
      await (await store.claim({ maxAttempts: 2 }))!.fail("one");
      await (await store.claim({ maxAttempts: 2 }))!.fail("two");
      const [dead] = await collect(store.entries("dead"));
      assert.equal(dead!.attempts, 2);
      const path = await store.requeue(dead!.path);
      assert.match(path, /\/new\/x~0\.r\./);
      await assert.rejects(store.requeue(dead!.entry), NotFoundError);
      const again = (await store.claim({ maxAttempts: 2 }))!;
      assert.deepEqual([again.name, again.attempts], ["x", 0]);
      const back = await again.fail("three");
      assert.equal(back.dead, false, "a full set of attempts again");
      // Keeping the count: one more failure kills it.
      const claim = (await store.claim({ maxAttempts: 2 }))!;
      await claim.fail("four");
      const [dead2] = await collect(store.entries("dead"));
      const kept = await store.requeue(dead2!.entry, { resetAttempts: false });
      assert.match(kept, /\/new\/x~2\.r\./);
      const [queued] = await collect(store.entries("new"));
      assert.equal(queued!.reason, "four");
    });

    it("requeue() and purge() refuse what they do not take, changing nothing", async ({ store }) => {
      await store.deliver("x", { name: "x" });
      const claim = (await store.claim())!;
      await assert.rejects(store.requeue(claim.path), InvalidNameError);
      await assert.rejects(store.requeue("x"), InvalidNameError);
      await assert.rejects(
        store.purge("new" as "dead", { olderThan: 0 }),
        InvalidAreaError,
      );
      await assert.rejects(
        store.purge("dead", {} as { olderThan: number }),
        TypeError,
      );
      // A claim in cur is never purged, however old.
      assert.deepEqual(await store.purge("cur", { olderThan: 0 }), []);
      assert.ok(claim.held);
      await claim.done();
    });

    it("purge() removes dead letters older than the age, and their reasons", async ({ store, clock, root, fs }) => {
      for (const name of ["old", "new"]) {
        await store.deliver(name, { name });
        await (await store.claim({ maxAttempts: 1 }))!.fail(`${name} failed`);
        if (name === "old") clock.ahead += 2 * HOUR;
      }
      const removed = await store.purge("dead", { olderThan: HOUR });
      assert.equal(removed.length, 1);
      assert.match(removed[0]!, /\/dead\/old~1\.d\./);
      const left = await collect(store.entries("dead"));
      assert.deepEqual(left.map((e) => [e.name, e.reason]), [[
        "new",
        "new failed",
      ]]);
      assert.equal((await fs.readDir(`${root}/reasons`)).length, 1);
    });

    it("clean() removes reasons no file names, and keeps the others", async ({ store, root, fs, clock }) => {
      await store.deliver("x", { name: "x" });
      await (await store.claim())!.fail("kept");
      await fs.writeNewFile(
        `${root}/reasons/orphan01`,
        new TextEncoder().encode("?"),
      );
      assert.deepEqual(await store.clean({ olderThan: HOUR }), [], "too young");
      clock.ahead += 2 * HOUR;
      assert.deepEqual(await store.clean({ olderThan: HOUR }), [
        `${root}/reasons/orphan01`,
      ]);
      assert.equal(
        (await collect(store.entries("new")))[0]!.reason,
        "kept",
      );
    });

    it("entries() gives every area's details; a temporary and a kept file too", async ({ store }) => {
      const f = await store.create("t");
      await f.write("half");
      await f.close();
      const [tmp] = await collect(store.entries("tmp"));
      assert.deepEqual([
        tmp!.state,
        tmp!.name,
        tmp!.size,
        tmp!.reason,
        tmp!.due,
      ], ["temporary", "t", 4, null, null]);
      await store.deliver("12345", { name: "n" });
      const [n] = await collect(store.entries("new"));
      assert.deepEqual([n!.entry, n!.area, n!.size, n!.attempts], [
        "n",
        "new",
        5,
        0,
      ]);
      assert.ok(n!.age >= 0 && n!.age < 60_000);
      await assert.rejects(
        collect(store.entries("elsewhere" as "new")),
        InvalidAreaError,
      );
    });
  });
}

test("a reason that cannot be written never holds up the failure", async () => {
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs, backoff: false });
  await store.prepare();
  // Where reasons go, something that is no directory: every write fails.
  fs.writeNewFile("/s/reasons", new Uint8Array());
  await store.deliver("x", { name: "x" });
  const result = await (await store.claim())!.fail(new Error("why"));
  assert.equal(result.attempts, 1);
  const [entry] = await collect(store.entries("new"));
  assert.deepEqual([entry!.name, entry!.reason], ["x", null]);
  assert.doesNotMatch(
    entry!.entry,
    /\.[0-9a-z]{8}$/,
    "no key without its reason",
  );
});

test("an entry too long to take a reason's key is made without one", () => {
  const name = "n".repeat(200);
  const token = `4294967295.abcdefghij.${"z".repeat(10)}.zzzz`;
  const due = Date.UTC(2030, 0, 1);
  const keyed = waitingEntryOf(name, 999, due, token, "abcdefgh");
  assert.equal(keyed, `${name}~999.w.${due.toString(36)}.${token}`);
  assert.equal(
    parseEntry(entryOf("x", 1, "d", token, "abcdefgh")).reason,
    "abcdefgh",
  );
  // The quick look for a key agrees with the full parse.
  for (
    const entry of [
      entryOf("x", 1, "d", token, "abcdefgh"),
      entryOf("x", 1, "d", token),
      entryOf("x.abcdefgh", 0, "r", "1.abcdefghij.1.1"),
      "plain.abcdefgh",
      keyed,
    ]
  ) assert.equal(reasonKeyOf(entry), parseEntry(entry).reason, entry);
});

test("a detached claim outlives its process and is recovered by age only; lease sets its first period", async () => {
  const fs = memoryFileSystem();
  let now = Date.UTC(2030, 0, 1);
  const store = new FileStore("/s", { fs, now: () => now, lease: 10 * 60_000 });
  await store.prepare();
  await store.deliver("a", { name: "a" });
  await store.deliver("b", { name: "b" });
  const a = await store.claim({ detached: true, lease: HOUR });
  const b = await store.claim({ detached: true });
  now += 30 * 60_000;
  assert.deepEqual(
    (await store.recover()).map((p) =>
      p.slice(p.lastIndexOf("/") + 1, p.indexOf("~"))
    ),
    ["b"],
    "b's lease is the store's 10 minutes; a's is an hour",
  );
  now += 25 * 60_000; // 55 minutes in
  await a!.touch(); // a renewal counts for the recoverers' lease from now
  now += 6 * 60_000; // past the hour, within ten minutes of the touch
  assert.deepEqual(await store.recover(), []);
  now += 5 * 60_000;
  assert.equal((await store.recover()).length, 1);
  await assert.rejects(b!.done(), { code: "CLAIM_LOST" });
});

test("consume() without onError reports each failure on one line: attempt, error, retry or dead", async () => {
  const store = new FileStore("/s", { fs: memoryFileSystem(), backoff: false });
  await store.prepare();
  await store.deliver("x", { name: "a.csv" });
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    const result = await store.consume(() => {
      throw new Error("refused");
    }, { maxAttempts: 2 });
    assert.deepEqual([result.failed, result.dead], [2, 1]);
  } finally {
    console.error = original;
  }
  assert.deepEqual(lines, [
    "filestore: 'a.csv' failed (attempt 1 of 2): refused; retry now",
    "filestore: 'a.csv' failed (attempt 2 of 2): refused; dead-lettered",
  ]);
  const [dead] = await collect(store.entries("dead"));
  assert.equal(dead!.reason, "refused");
});

test("a stale file handle (ESTALE, a network filesystem) is a lost race: the claimer moves on", async () => {
  const inner = memoryFileSystem();
  const fs = faultyFileSystem(inner, {
    operation: "rename",
    nth: 1,
    error: "ESTALE",
  });
  const store = new FileStore("/s", { fs, backoff: false });
  await store.prepare();
  await store.deliver("a", { name: "a" });
  await store.deliver("b", { name: "b" });
  const calls = fs.calls.length;
  // The first claim's rename is refused as stale: the next candidate wins.
  const claim = await store.claim();
  assert.ok(fs.calls.length > calls);
  assert.equal(claim?.name, "b");
  const result = await store.consume(async (c) => void await c.text());
  assert.deepEqual([result.handled, result.failed], [1, 0]);
  await claim!.done();
});
