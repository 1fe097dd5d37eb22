// Concurrency claims proven with real processes of the runtime under test:
// several producers and consumers on one store, producers killed mid-write,
// consumers killed holding a claim, prepare() raced.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { FileStore } from "../mod.ts";
import { inTempDir } from "./_backends.ts";
import { exited, start, until } from "./_spawn.ts";

const PRODUCERS = 4;
const CONSUMERS = 4;
const PER_PRODUCER = 750;

describe("processes", () => {
  test("4 producers and 4 consumers hand every file over exactly once", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/store`;
      const store = new FileStore(root, { backoff: false });
      await store.prepare();
      const consumers = Array.from(
        { length: CONSUMERS },
        (_, i) => start("_worker", ["consume", root, `${dir}/out-${i}`]),
      );
      const producers = Array.from(
        { length: PRODUCERS },
        (_, i) =>
          start("_worker", ["produce", root, String(PER_PRODUCER), `p${i}`]),
      );
      const codes = await Promise.all(producers.map(exited));
      assert.deepEqual(
        codes,
        producers.map(() => 0),
        producers.map((p) => p.errors()).join(),
      );
      await until(
        async () => (await store.stats()).new.count === 0,
        60_000,
        "new to drain",
      );
      await until(
        async () => (await store.stats()).cur.count === 0,
        60_000,
        "cur to drain",
      );
      for (const c of consumers) c.kill("SIGTERM");
      await Promise.all(consumers.map(exited));
      // A consumer stopped cleanly prints its counts (exit codes after a
      // signal are not reported alike by every runtime's child_process).
      const results = consumers.map((c) => {
        assert.equal(c.errors(), "");
        return JSON.parse(c.output());
      });
      const handled = consumers.flatMap((_, i) => {
        try {
          return readFileSync(`${dir}/out-${i}`, "utf8").split("\n").filter(
            Boolean,
          );
        } catch {
          return []; // this consumer got nothing
        }
      });
      const expected = [];
      for (let p = 0; p < PRODUCERS; p++) {
        for (let i = 0; i < PER_PRODUCER; i++) expected.push(`p${p}:${i}`);
      }
      assert.equal(handled.length, expected.length, "handled count");
      assert.deepEqual(
        [...handled].sort(),
        expected.sort(),
        "each file exactly once",
      );
      assert.equal(
        results.reduce((n, r) => n + r.handled, 0),
        expected.length,
      );
      for (const area of ["tmp", "new", "cur"] as const) {
        assert.deepEqual(await store.list(area), [], area);
      }
      assert.equal((await store.clean({ olderThan: 0 })).length, 0);
    }));

  test("a producer killed mid-delivery leaves only complete files in new", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/store`;
      const store = new FileStore(root, { backoff: false });
      await store.prepare();
      for (let round = 0; round < 4; round++) {
        const producer = start("_worker", ["stream", root]);
        const before = (await store.stats()).new.count;
        await until(
          async () => (await store.stats()).new.count > before + 2,
          30_000,
          "deliveries",
        );
        await new Promise((r) => setTimeout(r, round * 7));
        producer.kill("SIGKILL");
        await exited(producer);
        for (const path of await store.list("new")) {
          const data = await store.read(path, "new");
          const newline = data.indexOf(10);
          const size = Number(
            new TextDecoder().decode(data.subarray(0, newline)),
          );
          assert.equal(data.length - newline - 1, size, `complete: ${path}`);
        }
        await store.clean({ olderThan: 0 });
        assert.equal((await store.stats()).tmp.count, 0);
      }
      assert.ok((await store.list("new")).length >= 8);
    }));

  test("a consumer killed holding a claim: recover() returns it, never the finished one", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/store`;
      const store = new FileStore(root, { backoff: false });
      await store.prepare();
      await store.deliver("finished", { name: "a" });
      await store.deliver("abandoned", { name: "b" });
      const holder = start("_worker", ["hold", root]);
      await until(
        () => holder.output().split("\n").length > 2,
        20_000,
        "claims",
      );
      const [finished, held] = holder.output().split("\n");
      assert.match(finished!, /^a~0\.f\./);
      assert.match(held!, /^b~0\.c\./);
      // Alive and young: not recovered.
      assert.deepEqual(await store.recover(), []);
      holder.kill("SIGKILL");
      await exited(holder);
      // Dead on this host: recovered at once, without waiting for the age.
      const [back] = await store.recover();
      assert.ok(back!.startsWith(`${root}/new/b~1.r.`), back);
      assert.deepEqual(await store.list("cur"), [`${root}/cur/${finished}`]);
      const again = await store.claim();
      assert.equal(await again!.text(), "abandoned");
      await again!.done();
      assert.equal(await store.claim(), null);
    }));

  test("prepare() run by 6 processes at once succeeds in each", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/a/b/store`;
      const children = Array.from(
        { length: 6 },
        () => start("_worker", ["prepare", root]),
      );
      const codes = await Promise.all(children.map(exited));
      assert.deepEqual(
        children.map((c) => c.output() + c.errors()),
        children.map(() => "prepared\n"),
      );
      assert.deepEqual(codes, children.map(() => 0));
      const store = new FileStore(root, { backoff: false });
      for (const area of ["tmp", "new", "cur"] as const) {
        assert.deepEqual(await store.list(area), []);
      }
    }));
});
