// The queue protocol (deliver, claim, done, release, fail, dead letters,
// recover, clean, consume) on every backend.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AlreadyExistsError,
  ClaimLostError,
  FileStore,
  InvalidNameError,
  InvalidStateError,
  MAX_NAME_BYTES,
  PartialDeliveryError,
} from "../mod.ts";
import type { FileSystem } from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { backends, backendSuite, bytes, storeTest, text } from "./_backends.ts";
import { faultyFileSystem } from "../src/testing.ts";

// The same filesystem, with handles that cannot fsync off the main thread.
function withoutSyncAsync(fs: FileSystem): FileSystem {
  return new Proxy(fs, {
    get(target, key) {
      if (key === "open") {
        return async (...args: Parameters<FileSystem["open"]>) => {
          const h = await target.open(...args);
          return {
            read: (b: Uint8Array) => h.read(b),
            write: (d: Uint8Array) => h.write(d),
            sync: () => h.sync(),
            close: () => h.close(),
          };
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const base = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

// Makes a file look `ms` milliseconds old.
async function age(fs: FileSystem, path: string, ms: number): Promise<void> {
  const then = Date.now() - ms;
  await fs.utime(path, then, then);
}

for (const backend of backends) {
  backendSuite(`queue (${backend.name})`, backend, () => {
    // Retries at once here: the waits of a backoff are tested in time_test.ts.
    const it = storeTest(backend, { backoff: false });

    it("deliver() publishes the exact bytes and leaves tmp empty", async ({ store, fs, root }) => {
      const name = await store.deliver("hello");
      assert.deepEqual(await store.list("new"), [`${root}/new/${name}`]);
      assert.equal(text(await store.read(name, "new")), "hello");
      assert.deepEqual(await fs.readDir(`${root}/tmp`), []);
      const binary = new Uint8Array([0, 255, 1, 254]);
      const other = await store.deliver(binary, { durability: "none" });
      assert.deepEqual(await store.read(other, "new"), binary);
    });

    it("deliver() streams a ReadableStream and an async iterable", async ({ store }) => {
      const chunk = new Uint8Array(64 * 1024).fill(7);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 32) return controller.close();
          sent++;
          controller.enqueue(chunk);
        },
      });
      const name = await store.deliver(stream);
      const got = await store.read(name, "new");
      assert.equal(got.length, 32 * chunk.length);
      assert.ok(got.every((b) => b === 7));
      async function* parts() {
        yield bytes("a");
        yield bytes("b");
      }
      const second = await store.deliver(parts(), { durability: "file" });
      assert.equal(text(await store.read(second, "new")), "ab");
    });

    it("deliver() of a failing stream delivers nothing and leaves tmp empty", async ({ store, fs, root }) => {
      async function* broken() {
        yield bytes("partial");
        throw new Error("source died");
      }
      await assert.rejects(store.deliver(broken()), /source died/);
      assert.deepEqual(await store.list("new"), []);
      assert.deepEqual(await fs.readDir(`${root}/tmp`), []);
    });

    it("deliver() generates unique, legal names that sort in delivery order", async ({ store }) => {
      const names: string[] = [];
      for (let i = 0; i < 300; i++) {
        names.push(await store.deliver(String(i), { durability: "none" }));
      }
      assert.equal(new Set(names).size, names.length);
      assert.deepEqual([...names].sort(), names);
      for (const name of names) {
        assert.match(
          name,
          /^\d{10}\.M\d{6}P\d+Q\d+R[0-9a-f]{16}\.[A-Za-z0-9._%-]+$/,
        );
        assert.ok(!name.includes("/") && !name.includes(":"));
        assert.ok(!name.includes("~") && !name.startsWith("."));
      }
      const claimed: string[] = [];
      for await (const claim of store.claims()) {
        claimed.push(claim.name);
        assert.equal(await claim.text(), String(claimed.length - 1));
        await claim.done();
      }
      assert.deepEqual(claimed, names);
    });

    it("deliver() refuses a taken name and changes nothing", async ({ store, fs, root }) => {
      await store.deliver("first", { name: "job" });
      const err = await store.deliver("second", { name: "job" }).catch((e) =>
        e
      );
      assert.ok(err instanceof AlreadyExistsError, String(err));
      assert.equal(
        err.message,
        "Cannot deliver 'job': 'new/job' already exists",
      );
      assert.equal(text(await store.read("job", "new")), "first");
      assert.deepEqual(await fs.readDir(`${root}/tmp`), []);
      await assert.rejects(
        store.deliver("x", { name: "a~b" }),
        InvalidNameError,
      );
    });

    it("deliverMany() delivers a batch in order with one directory fsync", async ({ fs, open, root }) => {
      const spy = faultyFileSystem(fs); // no fault: it counts the calls
      const store = open({ fs: spy });
      const names = await store.deliverMany([
        "first",
        bytes("second"),
        { data: "third", name: "zz-third" },
      ]);
      assert.equal(names.length, 3);
      assert.equal(names[2], "zz-third");
      if (fs.capabilities.syncDirectory) {
        const syncs = spy.calls.filter((c) => c.startsWith("syncDirectory "));
        assert.deepEqual(syncs, [`syncDirectory ${root}/new`]);
        const fsyncs = spy.calls.filter((c) => c.startsWith("sync "));
        assert.equal(fsyncs.length, 3, "each file fsynced once");
      }
      assert.deepEqual(
        await store.list("new"),
        names.map((n) => `${root}/new/${n}`),
      );
      const bodies = [];
      for await (const claim of store.claims()) {
        bodies.push(await claim.text());
        await claim.done();
      }
      assert.deepEqual(bodies, ["first", "second", "third"]);
      assert.deepEqual(await store.list("tmp"), []);
      assert.deepEqual(await store.deliverMany([]), []);
    });

    it("deliverMany() stops at a taken name, reporting what it delivered", async ({ fs, store, root }) => {
      await store.deliver("old", { name: "b" });
      const err = await store.deliverMany([
        { data: "1", name: "a" },
        { data: "2", name: "b" },
        { data: "3", name: "c" },
      ]).catch((e) => e);
      assert.ok(err instanceof PartialDeliveryError, String(err));
      assert.deepEqual(err.delivered, ["a"]);
      assert.match(err.message, /Cannot deliver 'b' after 1 of the batch/);
      assert.deepEqual(await store.list("new"), [
        `${root}/new/a`,
        `${root}/new/b`,
      ]);
      assert.equal(text(await store.read("b", "new")), "old");
      assert.deepEqual(await fs.readDir(`${root}/tmp`), []);
      await assert.rejects(
        store.deliverMany([{ data: "x", name: "a" }]),
        AlreadyExistsError,
      );
      await assert.rejects(
        store.deliverMany([{ data: "x", name: "ok" }, {
          data: "y",
          name: "../bad",
        }]),
        InvalidNameError,
      );
      assert.deepEqual(await fs.readDir(`${root}/tmp`), []);
      assert.equal((await store.list("new")).length, 2);
    });

    it("claim() takes the oldest file by name, once, and returns null when empty", async ({ store, root }) => {
      for (const name of ["c", "a", "b"]) await store.deliver(name, { name });
      const first = await store.claim();
      assert.ok(first);
      assert.equal(first.name, "a");
      assert.equal(first.attempts, 0);
      assert.ok(first.path.startsWith(`${root}/cur/a~0.c.`));
      assert.equal(await first.text(), "a");
      assert.deepEqual(await store.list("new"), [
        `${root}/new/b`,
        `${root}/new/c`,
      ]);
      const second = await store.claim();
      const third = await store.claim();
      assert.deepEqual([second?.name, third?.name], ["b", "c"]);
      assert.equal(await store.claim(), null);
      for (const c of [first, second!, third!]) await c.done();
      for (const area of ["tmp", "new", "cur"] as const) {
        assert.deepEqual(await store.list(area), []);
      }
    });

    it("claim() by two stores on one directory never takes one file twice", async ({ store, open }) => {
      for (let i = 0; i < 20; i++) await store.deliver(String(i));
      const other = open();
      const seen: string[] = [];
      while (true) {
        const [a, b] = await Promise.all([store.claim(), other.claim()]);
        if (!a && !b) break;
        for (const c of [a, b]) {
          if (c) {
            seen.push(await c.text());
            await c.done();
          }
        }
      }
      assert.equal(seen.length, 20);
      assert.equal(new Set(seen).size, 20);
    });

    it("Claim.stream() reads the file in chunks", async ({ store }) => {
      const data = new Uint8Array(200_000).map((_, i) => i % 253);
      await store.deliver(data);
      const claim = await store.claim();
      const parts: Uint8Array[] = [];
      for await (const part of claim!.stream()) parts.push(part);
      assert.ok(parts.length >= 3);
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      assert.deepEqual(joined, data);
      assert.deepEqual(await claim!.read(), data);
      await claim!.done();
    });

    it("Claim.done() with keep leaves a finished file that recover() never touches", async ({ store, clock }) => {
      await store.deliver("x", { name: "kept" });
      const claim = await store.claim();
      await claim!.done({ keep: true });
      const cur = await store.list("cur");
      assert.equal(cur.length, 1);
      assert.match(cur[0]!, /\/cur\/kept~0\.f\./);
      clock.ahead = 3_600_000; // an hour later
      assert.deepEqual(await store.recover({ olderThan: 0 }), []);
      assert.deepEqual(await store.list("cur"), cur);
      assert.equal((await store.stats()).cur.finished, 1);
      await assert.rejects(claim!.done(), InvalidStateError);
    });

    it("Claim.release() returns the file untouched", async ({ store, root }) => {
      await store.deliver("x", { name: "r" });
      const claim = await store.claim();
      await claim!.release();
      const waiting = await store.list("new");
      assert.equal(waiting.length, 1);
      assert.ok(waiting[0]!.startsWith(`${root}/new/r~0.r.`), waiting[0]);
      assert.deepEqual(await store.list("cur"), []);
      const again = await store.claim();
      assert.equal(again?.name, "r");
      assert.equal(again?.attempts, 0);
      await again!.done();
    });

    it("Claim.fail() counts attempts across restarts, then dead-letters", async ({ fs, root, open }) => {
      assert.deepEqual((await fs.readDir(root)).map((e) => e.name).sort(), [
        "cur",
        "new",
        "tmp",
      ]);
      const long = "L".repeat(MAX_NAME_BYTES);
      await open().deliver("poison", { name: long });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const store = open({ maxAttempts: 3 }); // a fresh process each time
        const claim = await store.claim();
        assert.equal(claim?.name, long);
        assert.equal(claim?.attempts, attempt - 1);
        const result = await claim!.fail(new Error("nope"));
        assert.equal(result.attempts, attempt);
        assert.equal(result.dead, attempt === 3);
      }
      const store = open();
      assert.deepEqual(await store.list("new"), []);
      const dead = await store.list("dead");
      assert.equal(dead.length, 1);
      assert.ok(base(dead[0]!).startsWith(`${long}~3.d.`));
      assert.equal(text(await store.read(dead[0]!, "dead")), "poison");
      assert.equal((await store.stats()).dead.count, 1);
      assert.equal(await store.claim(), null);
    });

    it("recover() returns claims older than the limit, counting an attempt", async ({ store, root, clock }) => {
      await store.deliver("x", { name: "slow" });
      const claim = await store.claim();
      assert.deepEqual(await store.recover({ olderThan: 60_000 }), []);
      clock.ahead = 120_000;
      const recovered = await store.recover({ olderThan: 60_000 });
      assert.equal(recovered.length, 1);
      assert.ok(recovered[0]!.startsWith(`${root}/new/slow~1.r.`));
      await assert.rejects(claim!.done(), ClaimLostError);
      const again = await store.claim();
      assert.equal(again?.name, "slow");
      assert.equal(again?.attempts, 1);
      await again!.done();
    });

    it("Claim.touch() keeps a long claim from being recovered", async ({ store, clock }) => {
      await store.deliver("x");
      const claim = await store.claim();
      clock.ahead = 120_000;
      await claim!.touch();
      assert.deepEqual(await store.recover({ olderThan: 60_000 }), []);
      clock.ahead = 240_000; // no touch for two minutes
      assert.equal((await store.recover({ olderThan: 60_000 })).length, 1);
      await assert.rejects(claim!.done(), ClaimLostError);
    });

    it("recover() never touches a file the user moved into cur", async ({ fs, store, root, clock }) => {
      await store.deliver("mine", { name: "mine" });
      await store.move("mine", "new", "cur");
      await age(fs, `${root}/cur/mine`, 3_600_000);
      clock.ahead = 3_600_000;
      assert.deepEqual(await store.recover({ olderThan: 0 }), []);
      assert.deepEqual(await store.list("cur"), [`${root}/cur/mine`]);
      assert.equal(await store.claim(), null);
    });

    it("recover() moves only the claim's own name, whatever else links to the file", async ({ fs, store, root, clock }) => {
      await store.deliver("first", { name: "twice" });
      const claim = await store.claim();
      // A backup (cp -al, rsnapshot) or an IMAP COPY links the claimed file,
      // and the same name is delivered again: v1 dropped the claim here.
      await fs.link(claim!.path, `${root}/backup`);
      await store.deliver("second", { name: "twice" });
      clock.ahead = 3_600_000;
      const [back] = await store.recover({ olderThan: 60_000 });
      assert.ok(back!.startsWith(`${root}/new/twice~1.r.`), back);
      assert.equal(text(await fs.readFile(back!)), "first");
      assert.equal(text(await fs.readFile(`${root}/new/twice`)), "second");
      assert.equal(text(await fs.readFile(`${root}/backup`)), "first");
      assert.deepEqual(await store.list("cur"), []);
      const bodies = [];
      for await (const c of store.claims()) {
        bodies.push(await c.text());
        await c.done();
      }
      assert.deepEqual(bodies.sort(), ["first", "second"]);
    });

    it("clean() removes only leftovers in tmp older than the limit", async ({ fs, store, root, clock }) => {
      await fs.writeNewFile(`${root}/tmp/.1234.leftover`, bytes("half"));
      const f = await store.create("fresh");
      await f.close();
      assert.deepEqual(await store.clean(), []);
      // A backdated mtime alone is no age: the ctime shows the last write.
      await age(fs, `${root}/tmp/.1234.leftover`, 37 * 3_600_000);
      assert.deepEqual(await store.clean(), []);
      clock.ahead = 37 * 3_600_000;
      const f2 = await store.create("fresh");
      await f2.close(); // written again: young by its own clock
      await fs.utime(
        `${root}/tmp/fresh`,
        Date.now() + clock.ahead,
        Date.now() + clock.ahead,
      );
      assert.deepEqual(await store.clean(), [`${root}/tmp/.1234.leftover`]);
      assert.deepEqual(await store.list("tmp"), [`${root}/tmp/fresh`]);
    });

    it("stats() counts files and ages per area", async ({ store }) => {
      await store.deliver("a");
      await store.deliver("b");
      const claim = await store.claim();
      const stats = await store.stats();
      assert.equal(stats.new.count, 1);
      assert.equal(stats.cur.count, 1);
      assert.equal(stats.cur.claimed, 1);
      assert.equal(stats.tmp.count, 0);
      assert.equal(stats.tmp.oldestAge, null);
      assert.ok(stats.new.oldestAge !== null && stats.new.oldestAge >= 0);
      await claim!.done();
    });

    it("consume() handles, retries and dead-letters, then leaves the areas empty", async ({ store }) => {
      for (let i = 0; i < 10; i++) {
        await store.deliver(i % 3 === 0 ? "bad" : "good");
      }
      const seen: string[] = [];
      const errors: unknown[] = [];
      const result = await store.consume(async (claim) => {
        const body = await claim.text();
        seen.push(body);
        if (body === "bad") throw new Error("bad input");
      }, { maxAttempts: 2, concurrency: 3, onError: (e) => errors.push(e) });
      assert.deepEqual(result, {
        handled: 6,
        failed: 8,
        dead: 4,
        lost: 0,
        settled: 0,
      });
      assert.equal(errors.length, 8);
      assert.equal(seen.length, 14);
      for (const area of ["tmp", "new", "cur"] as const) {
        assert.deepEqual(await store.list(area), []);
      }
      assert.equal((await store.list("dead")).length, 4);
    });

    it("consume() with watch picks up later files and stops on abort", async ({ store }) => {
      const stop = new AbortController();
      const got: string[] = [];
      const running = store.consume(async (claim) => {
        got.push(await claim.text());
        if (got.length === 3) stop.abort();
      }, { watch: true, signal: stop.signal, pollInterval: 200 });
      for (const body of ["one", "two", "three"]) {
        await new Promise((r) => setTimeout(r, 30));
        await store.deliver(body);
      }
      const result = await running;
      assert.deepEqual(got, ["one", "two", "three"]);
      assert.equal(result.handled, 3);
      assert.deepEqual(await store.list("cur"), []);
    });
  });
}

describe("queue (memory only)", () => {
  test("recover() returns at once the claims of a dead process of this host", async () => {
    const fs = memoryFileSystem({ pid: 1, processAlive: (pid) => pid !== 99 });
    const dying = new FileStore("/s", {
      fs: fs.share({ pid: 99 }),
      backoff: false,
    });
    const alive = new FileStore("/s", { fs, backoff: false });
    await alive.prepare();
    await alive.deliver("a", { name: "a" });
    await alive.deliver("b", { name: "b" });
    const lost = await dying.claim();
    const held = await alive.claim();
    assert.deepEqual([lost?.name, held?.name], ["a", "b"]);
    const [back] = await alive.recover();
    assert.match(back!, /^\/s\/new\/a~1\.r\./);
    await held!.done();
  });

  test("recover() leaves young claims of another host alone", async () => {
    const fs = memoryFileSystem({ processAlive: () => false });
    const remote = new FileStore("/s", {
      fs: fs.share({ hostname: "other" }),
      backoff: false,
    });
    const local = new FileStore("/s", { fs, backoff: false });
    await local.prepare();
    await local.deliver("a");
    assert.ok(await remote.claim());
    assert.deepEqual(await local.recover(), []);
  });

  test("durability decides what a power cut keeps", async () => {
    for (
      const [durability, survives] of [["full", true], ["file", false], [
        "none",
        false,
      ]] as const
    ) {
      const fs = memoryFileSystem();
      const store = new FileStore("/s", { fs, durability });
      fs.mkdir("/s");
      await store.prepare();
      fs.syncDirectory("/");
      fs.syncDirectory("/s");
      await store.deliver("data", { name: "x" });
      fs.crash();
      const after = new FileStore("/s", { fs, backoff: false });
      const listed = await after.list("new");
      assert.deepEqual(listed.length === 1, survives, durability);
      if (survives) assert.equal(text(await after.read("x", "new")), "data");
    }
  });

  for (const concurrent of [true, false]) {
    test(
      `deliverMany() with full durability survives a power cut once it returns (${
        concurrent ? "fsyncs at once" : "a backend without syncAsync"
      })`,
      async () => {
        const fs = memoryFileSystem();
        const store = new FileStore("/s", {
          fs: concurrent ? fs : withoutSyncAsync(fs),
        });
        await store.prepare();
        fs.syncDirectory("/");
        const names = await store.deliverMany(
          Array.from({ length: 300 }, (_, i) => `file ${i}`),
        );
        fs.crash();
        const after = new FileStore("/s", { fs, backoff: false });
        assert.equal((await after.list("new")).length, 300);
        assert.equal(text(await after.read(names[299]!, "new")), "file 299");
      },
    );
  }

  test("claim() leaves in new a foreign file whose name cannot take the claim suffix", async () => {
    const fs = memoryFileSystem();
    const store = new FileStore("/s", { fs, backoff: false });
    await store.prepare();
    const long = "x".repeat(250);
    fs.writeNewFile(`/s/new/${long}`, bytes("foreign"));
    assert.equal(await store.claim(), null);
    // Another tool's names that look like v1 retries are names, not retries.
    fs.writeNewFile("/s/new/PROGRA~1", bytes("foreign"));
    const claim = await store.claim();
    assert.deepEqual([claim?.name, claim?.attempts], ["PROGRA~1", 0]);
    await claim!.fail();
    const retry = await store.claim();
    assert.deepEqual([retry?.name, retry?.attempts], ["PROGRA~1", 1]);
    await retry!.done();
    assert.equal(await store.claim(), null);
    assert.deepEqual(await store.list("new"), [`/s/new/${long}`]);
  });

  test("consume() with watch polls where the backend cannot watch", async () => {
    const fs = memoryFileSystem({ watch: false });
    const store = new FileStore("/s", { fs, backoff: false });
    await store.prepare();
    const stop = new AbortController();
    const got: string[] = [];
    const started = Date.now();
    const running = store.consume(async (claim) => {
      got.push(await claim.text());
      stop.abort();
    }, { watch: true, signal: stop.signal, pollInterval: 100 });
    await new Promise((r) => setTimeout(r, 150));
    await store.deliver("late");
    const result = await running;
    assert.deepEqual(got, ["late"]);
    assert.equal(result.handled, 1);
    assert.ok(Date.now() - started < 2000);
  });

  test("deliver() without hard links publishes with the documented fallback", async () => {
    const fs = memoryFileSystem({ hardLinks: false });
    const store = new FileStore("/s", { fs, backoff: false });
    await store.prepare();
    await store.deliver("one", { name: "x" });
    await assert.rejects(
      store.deliver("two", { name: "x" }),
      AlreadyExistsError,
    );
    assert.equal(text(await store.read("x", "new")), "one");
    assert.deepEqual(fs.readDir("/s/tmp"), []);
    const claim = await store.claim();
    await claim!.fail();
    const [retry] = await store.list("new");
    assert.match(retry!, /^\/s\/new\/x~1\.r\./);
  });
});
