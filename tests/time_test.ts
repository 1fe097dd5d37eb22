// Time in the queue, with real processes: delayed deliveries handled once and
// never early by four consumers, retries spaced by the backoff while other
// files go by, a lease renewed under a long handler against another
// process's recover(), a timeout, housekeeping without cron, and the outage
// that the default backoff outlasts.
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import { describe, test } from "node:test";
import { FileStore } from "../mod.ts";
import { DEFAULT_BACKOFF, retryDelay } from "../src/_backoff.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { faultyFileSystem } from "../src/testing.ts";
import { inTempDir } from "./_backends.ts";
import { exited, start, until } from "./_spawn.ts";

interface Handling {
  body: string;
  attempts: number;
  at: number;
}

function handlings(out: string): Handling[] {
  let text = "";
  try {
    text = nodeFs.readFileSync(out, "utf8");
  } catch {
    return [];
  }
  return text.trim().split("\n").filter(Boolean).map((line) => {
    const [body, attempts, at] = line.split(" ");
    return { body: body!, attempts: Number(attempts), at: Number(at) };
  });
}

describe("time in the queue, with real processes", () => {
  test("four consumers handle delayed deliveries once each, never before their time", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      const consumers = [0, 1, 2, 3].map((i) =>
        start("_worker", ["timed", root, `${dir}/out${i}`, "due"])
      );
      const dues = new Map<string, number>();
      for (let i = 0; i < 60; i++) {
        const delay = Math.floor(Math.random() * 1500);
        const due = Date.now() + delay;
        const body = `f${i}`;
        dues.set(body, due);
        await store.deliver(body, { delay });
      }
      const all = () =>
        [0, 1, 2, 3].flatMap((i) => handlings(`${dir}/out${i}`));
      await until(() => all().length >= 60, 20_000, "60 handlings");
      for (const c of consumers) c.kill("SIGTERM");
      await Promise.all(consumers.map(exited));
      const got = all();
      assert.equal(got.length, 60, "each once");
      assert.equal(new Set(got.map((h) => h.body)).size, 60);
      for (const h of got) {
        assert.ok(
          h.at >= dues.get(h.body)!,
          `${h.body} ${h.at - dues.get(h.body)!} ms early`,
        );
      }
      // Claimable within the poll interval (50 ms) of the due time, plus the
      // one listing of `wait` a second that finds other processes' files.
      const late = Math.max(...got.map((h) => h.at - dues.get(h.body)!));
      assert.ok(late < 2500, `the latest came ${late} ms after its time`);
    }));

  test("a failing file's attempts are spaced by the backoff while other files are handled", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      await store.deliver("bad", { name: "a-bad" });
      await store.deliver("bad");
      const consumer = start("_worker", ["timed", root, `${dir}/out`, "flaky"]);
      for (let i = 0; i < 15; i++) {
        await store.deliver(`good${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const out = `${dir}/out`;
      await until(
        () => handlings(out).filter((h) => h.body === "bad").length >= 8,
        20_000,
        "the bad files' four attempts",
      );
      await until(() => handlings(out).length >= 8 + 15, 10_000, "all");
      consumer.kill("SIGTERM");
      await exited(consumer);
      const got = handlings(out);
      const bad = got.filter((h) => h.body === "bad");
      assert.deepEqual(bad.map((h) => h.attempts).sort(), [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
      ]);
      for (const n of [1, 2, 3]) {
        // Each retry waits 200 ms x 2^(n-1) after the failure before it.
        const before = Math.min(
          ...bad.filter((h) => h.attempts === n - 1).map((h) => h.at),
        );
        const after = Math.min(
          ...bad.filter((h) => h.attempts === n).map((h) => h.at),
        );
        assert.ok(
          after - before >= 200 * 2 ** (n - 1) - 5,
          `retry ${n} after ${after - before} ms`,
        );
      }
      const firstBad = Math.min(...bad.map((h) => h.at));
      const lastBad = Math.max(...bad.map((h) => h.at));
      assert.ok(
        got.some((h) =>
          h.body.startsWith("good") && h.at > firstBad && h.at < lastBad
        ),
        "good files were handled between the retries",
      );
    }));

  test("a handler running past the recovery age keeps its claim: the lease is renewed", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none", lease: 600 });
      await store.prepare();
      await store.deliver("long job");
      const consumer = start("_worker", ["timed", root, `${dir}/out`, "slow"]);
      await until(
        () => handlings(`${dir}/out`).length === 1,
        10_000,
        "claimed",
      );
      const recovered: string[] = [];
      // Another process's housekeeping, with the same lease, all along.
      while (consumer.exitCode === null) {
        recovered.push(...await store.recover());
        await new Promise((r) => setTimeout(r, 200));
      }
      await exited(consumer);
      assert.deepEqual(recovered, []);
      const result = JSON.parse(consumer.output());
      assert.equal(result.handled, 1);
      assert.equal(result.lost, 0);
      assert.equal(handlings(`${dir}/out`).length, 1, "handled once");
    }));

  test("a handler past its timeout has its claim's signal aborted and the claim failed", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      await store.deliver("hangs", { name: "h" });
      const consumer = start("_worker", ["timed", root, `${dir}/out`, "hang"]);
      assert.equal(await exited(consumer), 0, consumer.errors());
      const result = JSON.parse(consumer.output());
      assert.equal(result.failed, 1);
      assert.equal(result.dead, 1, "maxAttempts 1: a dead letter");
      assert.deepEqual(result.errors, ["TimeoutError"]);
      assert.equal((await store.list("dead")).length, 1);
    }));

  test("housekeeping in consume() recovers a killed consumer's claim without a cron job", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      await store.deliver("kept", { name: "a" });
      await store.deliver("orphan", { name: "b" });
      const holder = start("_worker", ["hold", root]);
      await until(() => holder.output().split("\n").length > 2, 10_000, "held");
      holder.kill("SIGKILL");
      await exited(holder);
      const consumer = start("_worker", ["timed", root, `${dir}/out`, "house"]);
      await until(
        () => handlings(`${dir}/out`).some((h) => h.body === "orphan"),
        10_000,
        "the orphan handled",
      );
      consumer.kill("SIGTERM");
      await exited(consumer);
      assert.deepEqual(handlings(`${dir}/out`).map((h) => h.body), ["orphan"]);
    }));

  test("an outage of the default backoff's scale dead-letters nothing (the schedule in thousandths)", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      for (let i = 0; i < 20; i++) await store.deliver(`job${i}`);
      // Every handler fails for 300 ms (five minutes, scaled down as the
      // schedule is), then the downstream is back.
      const consumer = start(
        "_worker",
        ["timed", root, `${dir}/out`, "outage"],
        { OUTAGE_MS: "300" },
      );
      await until(
        async () => {
          const s = await store.stats();
          return s.new.count + s.wait.count + s.cur.count + s.dead.count === 0;
        },
        20_000,
        "every file through",
      );
      consumer.kill("SIGTERM");
      await exited(consumer);
      // It stopped on the signal and said what it did: every file handled
      // after failing through the outage, none dead.
      const result = JSON.parse(consumer.output());
      assert.equal(result.handled, 20, consumer.errors());
      assert.equal(result.dead, 0);
      assert.ok(result.failed >= 20, "each file failed during the outage");
      const stats = await store.stats();
      assert.equal(stats.dead.count, 0, "nothing dead-lettered");
      assert.equal(stats.new.count + stats.wait.count + stats.cur.count, 0);
      const done = new Set(handlings(`${dir}/out`).map((h) => h.body));
      assert.equal(done.size, 20);
    }));
});

test("the default backoff outlasts a five-minute outage with the default five attempts", () => {
  // The earliest each attempt can come, with the most jitter: the fifth is
  // still after five minutes, so a file failing through the outage retries
  // after it.
  let at = 0;
  const times = [0];
  for (let failed = 1; failed < 5; failed++) {
    at += retryDelay(DEFAULT_BACKOFF, failed, () => 1);
    times.push(at);
  }
  assert.ok(times[4]! > 5 * 60_000, `the fifth attempt at ${times[4]} ms`);
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => retryDelay(DEFAULT_BACKOFF, n, () => 0)),
    [15_000, 45_000, 135_000, 405_000],
  );
  assert.equal(
    retryDelay(DEFAULT_BACKOFF, 30, () => 0),
    3_600_000,
    "at most an hour",
  );
});

test("deliver() with delay or at waits in wait, invisible to claims, then is claimed once", async () => {
  let now = Date.UTC(2030, 0, 1);
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs, now: () => now });
  await store.prepare();
  await store.deliver("later", { name: "l", delay: 60_000 });
  await store.deliver("at", { name: "t", at: new Date(now + 120_000) });
  await store.deliver("now", { name: "n" });
  assert.equal((await store.claim())?.name, "n");
  assert.equal(await store.claim(), null, "nothing is due");
  const stats = await store.stats();
  assert.equal(stats.wait.count, 2);
  assert.equal(stats.wait.nextDue, now + 60_000);
  now += 60_000;
  assert.equal((await store.claim())?.name, "l");
  assert.equal(await store.claim(), null);
  now += 60_000;
  assert.equal((await store.claim())?.name, "t");
  await assert.rejects(store.deliver("x", { delay: -1 }), TypeError);
  await assert.rejects(store.deliver("x", { at: Number.NaN }), TypeError);
});

test("another process's due file is claimed within a second of its time, though ready files were listed before", async () => {
  let now = Date.UTC(2030, 0, 1);
  const fs = memoryFileSystem();
  const consumer = new FileStore("/s", { fs, now: () => now });
  const producer = new FileStore("/s", { fs, now: () => now });
  await consumer.prepare();
  for (let i = 0; i < 10; i++) await producer.deliver("r", { name: `b${i}` });
  assert.equal((await consumer.claim())?.name, "b0"); // lists all ten
  await producer.deliver("d", { name: "a", delay: 5_000 });
  now += 4_500; // `wait` is listed (a second since the opening): not due
  assert.equal((await consumer.claim())?.name, "b1");
  now += 500; // the due time it saw has come
  assert.equal((await consumer.claim())?.name, "a", "due, and first by name");
  await producer.deliver("d", { name: "a2", delay: 100 });
  now += 100;
  assert.equal((await consumer.claim())?.name, "b2", "listed 100 ms ago");
  now += 900;
  assert.equal((await consumer.claim())?.name, "a2", "a second later");
  // A process that never listed `wait` lists it at once when `new` is empty.
  await producer.deliver("d", { name: "z", delay: 1_000 });
  now += 1_000;
  const fresh = new FileStore("/s", { fs, now: () => now });
  const names = [];
  for (let c; (c = await fresh.claim());) names.push(c.name);
  assert.deepEqual(names, ["b3", "b4", "b5", "b6", "b7", "b8", "b9", "z"]);
});

test("Claim.fail() with a delay waits, and FailResult says when the retry is due", async () => {
  let now = Date.UTC(2030, 0, 1);
  const store = new FileStore("/s", { fs: memoryFileSystem(), now: () => now });
  await store.prepare();
  await store.deliver("x", { name: "x" });
  const claim = await store.claim();
  const result = await claim!.fail(new Error("later"), { delay: 5_000 });
  assert.equal(result.due, now + 5_000);
  assert.match(result.path, /^\/s\/wait\/[0-9a-z]+\/[0-9a-z]+\/x~1\.w\./);
  assert.equal(await store.claim(), null);
  now += 5_000;
  const again = await store.claim();
  assert.deepEqual([again?.name, again?.attempts], ["x", 1]);
  const immediate = await again!.fail(undefined, { delay: 0 });
  assert.equal(immediate.due, now);
  assert.match(immediate.path, /^\/s\/new\//);
  const dead = await (await store.claim({ maxAttempts: 3 }))!.fail();
  assert.equal(dead.due, null);
  assert.equal(dead.dead, true);
});

test("every running claim is renewed while its handler runs, and none after", async () => {
  const fs = faultyFileSystem(memoryFileSystem());
  const store = new FileStore("/s", { fs, durability: "none" });
  await store.prepare();
  // Handlers of different lengths, all at once: the quick ones leave the
  // heartbeat while the long ones stay in it.
  const runs: Record<string, number> = { a: 40, b: 400, c: 20, d: 400 };
  for (const name of Object.keys(runs)) await store.deliver(name, { name });
  const entries: Record<string, string> = {};
  const result = await store.consume(async (claim) => {
    entries[claim.name] = claim.entry;
    await new Promise((r) => setTimeout(r, runs[claim.name]));
  }, { lease: 60, concurrency: 4, housekeeping: false });
  assert.equal(result.handled, 4);
  // the lease of 60 ms is renewed every 10 to 20 ms (fewer under load)
  for (const [name, entry] of Object.entries(entries)) {
    const calls = fs.calls.filter((c) => c.includes(`/s/cur/${entry}`));
    const touches = calls.filter((c) => c.startsWith("utime ")).length;
    const ms = runs[name]!;
    assert.ok(
      touches >= Math.floor(ms / 40) && touches <= Math.ceil(ms / 10) + 2,
      `'${name}' (${ms} ms) renewed ${touches} times`,
    );
    assert.ok(
      calls.at(-1)!.startsWith("unlink "),
      `nothing after ${name}'s done`,
    );
  }
});

test("a claim whose lease is lost under its handler has its signal aborted", async () => {
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs, backoff: false });
  await store.prepare();
  await store.deliver("x");
  // Another process whose clock says the claim is a minute old.
  const other = new FileStore("/s", {
    fs: fs.share({ pid: 2 }),
    backoff: false,
    now: () => Date.now() + 60_000,
  });
  let reason: unknown;
  const result = await store.consume(async (claim) => {
    if (claim.attempts > 0) return; // its retry, after the recovery: done
    // Another process takes the claim back; the next renewal finds it gone.
    assert.equal((await other.recover({ olderThan: 0 })).length, 1);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) =>
        claim.signal.addEventListener("abort", () => resolve(), { once: true })
      ),
      new Promise((r) => (timer = setTimeout(r, 5_000))),
    ]);
    clearTimeout(timer);
    reason = claim.signal.reason;
  }, { lease: 60, housekeeping: false });
  assert.equal((reason as Error).name, "ClaimLostError");
  assert.equal(result.lost, 1);
  assert.equal(result.handled, 1, "then handled once, as its retry");
});

test("a stop lets handlers finish within the grace, then aborts their signal and puts the file back", async () => {
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs });
  await store.prepare();
  await store.deliver("quick", { name: "a" });
  await store.deliver("slow", { name: "b" });
  const stop = new AbortController();
  const seen: string[] = [];
  const result = await store.consume(async (claim) => {
    const body = await claim.text();
    seen.push(body);
    if (body === "quick") return;
    stop.abort(); // the service is told to stop while this one runs
    await new Promise<void>((_, reject) =>
      claim.signal.addEventListener("abort", () => reject(claim.signal.reason))
    );
  }, { signal: stop.signal, grace: 100, housekeeping: false });
  assert.deepEqual(seen, ["quick", "slow"]);
  assert.equal(result.handled, 1);
  assert.equal(result.failed, 0, "a stop is not a failure");
  const waiting = await store.list("new");
  assert.equal(waiting.length, 1);
  assert.match(waiting[0]!, /\/new\/b~0\.r\./, "back with no attempt counted");
});
