// Every public operation, with a failure injected at each filesystem call it
// makes, and with the power cut after each of them: the store stays
// consistent, the error says what failed, and a retry succeeds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Claim,
  type Durability,
  FileStore,
  FileStoreError,
  NotDurableError,
  PartialDeliveryError,
} from "../mod.ts";
import {
  type MemoryFileSystem,
  memoryFileSystem,
} from "../src/backends/memory.ts";
import { type FaultyFileSystem, faultyFileSystem } from "../src/testing.ts";
import { bytes, text } from "./_backends.ts";

interface Scenario {
  name: string;
  /** What the error message must name. */
  names: RegExp;
  /** Makes the state before the operation (through the same store). */
  setup(
    store: FileStore,
    inner: MemoryFileSystem,
    clock: { ahead: number },
  ): Promise<unknown>;
  /** The operation. */
  run(store: FileStore, state: unknown): Promise<unknown>;
  /** The operation is several user steps (create/write/close, prepare). */
  loose?: boolean;
  /** The operation works through several files and may fail after some. */
  progressive?: boolean;
  /** After a partial failure, finishes what the operation left undone. */
  resume?(store: FileStore, error: PartialDeliveryError): Promise<unknown>;
  maxAttempts?: number;
}

const ROOT = "/s";
const BATCH = [
  { data: "one", name: "m1" },
  { data: "two", name: "m2" },
  { data: "three", name: "m3" },
];

async function prepared(store: FileStore, inner: MemoryFileSystem) {
  await store.prepare();
  inner.syncDirectory("/");
}

async function withFile(store: FileStore, inner: MemoryFileSystem) {
  await prepared(store, inner);
  await store.deliver("A", { name: "a" });
}

async function claimed(store: FileStore, inner: MemoryFileSystem) {
  await withFile(store, inner);
  return await store.claim();
}

const SCENARIOS: Scenario[] = [
  {
    name: "prepare()",
    names: /prepare '\/s'/,
    setup: () => Promise.resolve(),
    run: (s) => s.prepare(),
    loose: true,
  },
  {
    name: "create()/write()/close()",
    names: /'f'/,
    setup: prepared,
    run: async (s) => {
      const f = await s.create("f");
      try {
        await f.write("hello");
      } finally {
        await f.close();
      }
    },
    loose: true,
  },
  {
    name: "move()",
    names: /move 'a'|Moved 'a'/,
    setup: withFile,
    run: (s) => s.move("a", "new", "cur"),
  },
  {
    name: "copy()",
    names: /copy 'a'|Copied 'a'/,
    setup: withFile,
    run: (s) => s.copy("a", "new", "cur"),
  },
  {
    name: "remove()",
    names: /remove 'a'|Removed 'a'/,
    setup: withFile,
    run: (s) => s.remove("a", "new"),
  },
  {
    name: "deliver()",
    names: /deliver 'd'|Delivered 'd'/,
    setup: prepared,
    run: (s) => s.deliver("payload", { name: "d" }),
  },
  {
    name: "deliver() of a stream",
    names: /deliver 'd'|Delivered 'd'/,
    setup: prepared,
    run: (s) =>
      s.deliver(
        (async function* () {
          yield bytes("pay");
          yield bytes("load");
        })(),
        { name: "d" },
      ),
  },
  {
    name: "deliverMany()",
    names: /deliver 'm\d'|Delivered 3 files/,
    setup: prepared,
    run: (s) => s.deliverMany(BATCH),
    resume: (s, err) =>
      s.deliverMany(BATCH.filter((f) => !err.delivered.includes(f.name))),
  },
  {
    name: "claim()",
    names: /claim 'a'|claim from '(new|wait)'/,
    setup: withFile,
    run: (s) => s.claim(),
  },
  {
    name: "done()",
    names: /finish 'a'|Finished 'a'/,
    setup: claimed,
    run: (_, c) => (c as Claim).done(),
  },
  {
    name: "done() with keep",
    names: /finish 'a'|Finished 'a'/,
    setup: claimed,
    run: (_, c) => (c as Claim).done({ keep: true }),
  },
  {
    name: "release()",
    names: /release 'a'/,
    setup: claimed,
    run: (_, c) => (c as Claim).release(),
  },
  {
    name: "fail()",
    names: /fail 'a'/,
    setup: claimed,
    run: (_, c) => (c as Claim).fail(),
  },
  {
    name: "fail() into the dead-letter area",
    names: /fail 'a'/,
    setup: claimed,
    run: (_, c) => (c as Claim).fail(),
    maxAttempts: 1,
  },
  {
    name: "clean()",
    names: /clean '\.old' from 'tmp'|clean 'tmp'/,
    setup: async (store, inner, clock) => {
      await prepared(store, inner);
      inner.writeNewFile(`${ROOT}/tmp/.old`, bytes("half"));
      inner.utime(`${ROOT}/tmp/.old`, 0, 0);
      clock.ahead = 48 * 3_600_000; // its ctime, too, is old by then
    },
    run: (s) => s.clean(),
  },
  {
    name: "recover()",
    names: /recover 'a'|recover claims|recover into 'new'/,
    setup: async (store, inner, clock) => {
      await claimed(store, inner);
      clock.ahead = 3_600_000; // an hour later
    },
    run: (s) => s.recover({ olderThan: 60_000 }),
  },
  {
    name: "consume()",
    names: /'a'|claim from '(new|wait)'/,
    setup: withFile,
    run: (s) => s.consume(() => {}),
    progressive: true,
  },
];

// The store's visible state: every entry of every area with its content;
// owner tokens and temporary names made comparable between runs.
function snapshot(fs: MemoryFileSystem): string[] {
  const out: string[] = [];
  for (const area of ["tmp", "new", "cur", "wait", "dead"]) {
    // `wait` keeps its files in directories of their due times: walked, and
    // shown by entry (an empty directory there is as good as none).
    const entries: { name: string; path: string }[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readDir(dir)) {
        if (area === "wait" && e.isDirectory) walk(`${dir}/${e.name}`);
        else entries.push({ name: e.name, path: `${dir}/${e.name}` });
      }
    };
    try {
      walk(`${ROOT}/${area}`);
    } catch {
      continue;
    }
    for (const e of entries) {
      const name = e.name
        .replace(
          /~(\d+)\.([rcfd]|w\.[0-9a-z]+)\.\d+\.[0-9a-z]{10}\.[0-9a-z]+\.[0-9a-z]+(\.[0-9a-z]{8})?$/,
          (_, a, st) => `~${a}.${st.startsWith("w") ? "w" : st}.TOKEN`,
        )
        // Released with no attempt counted: as good as never claimed.
        .replace(/~0\.r\.TOKEN$/, "")
        .replace(/^\..*/, ".TEMP");
      out.push(
        `${area}/${name}=${text(fs.readFile(e.path))}`,
      );
    }
  }
  try {
    // An empty area made when first needed is as good as none.
    const empty = (area: string) => !out.some((l) => l.startsWith(`${area}/`));
    out.push(
      ...fs.readDir(ROOT).filter((e) =>
        // Failure reasons are advisory (a failed write of one is no
        // failure): tests/reasons_test.ts checks them.
        e.name !== "reasons" &&
        !((e.name === "dead" || e.name === "wait") && empty(e.name))
      ).map((e) => `dir ${e.name}`),
    );
  } catch {
    out.push("no store");
  }
  return out.sort();
}

// The contents a consumer could still get: each file once, nothing partial.
function contents(fs: MemoryFileSystem): string[] {
  return snapshot(fs)
    .filter((line) => /^(new|cur|wait|dead)\//.test(line))
    .map((line) => line.slice(line.indexOf("=") + 1))
    .sort();
}

let durability: Durability = "full";

async function fresh(
  scenario: Scenario,
  plan: Parameters<typeof faultyFileSystem>[1],
) {
  const inner = memoryFileSystem();
  const fs = faultyFileSystem(inner, plan);
  const clock = { ahead: 0 };
  const store = new FileStore(ROOT, {
    fs,
    durability,
    now: () => Date.now() + clock.ahead,
    ...(scenario.maxAttempts === undefined
      ? {}
      : { maxAttempts: scenario.maxAttempts }),
  });
  const state = await scenario.setup(store, inner, clock);
  return { inner, fs, store, state };
}

// How many calls the setup makes, and how many the operation.
async function measure(scenario: Scenario) {
  const { inner, fs, store, state } = await fresh(scenario, {});
  const setupCalls = fs.calls.length;
  const pre = snapshot(inner);
  await scenario.run(store, state);
  return {
    setupCalls,
    total: fs.calls.length,
    pre,
    post: snapshot(inner),
    inner,
  };
}

for (const level of ["full", "file", "none"] as const) {
  describe(`failures at every call, durability ${level}`, () => {
    for (const scenario of SCENARIOS) {
      test(`${scenario.name} stays consistent when any of its calls fails`, async () => {
        durability = level;
        const { setupCalls, total, pre, post } = await measure(scenario);
        assert.ok(total > setupCalls, "the operation makes calls");
        for (let at = setupCalls + 1; at <= total; at++) {
          const { inner, fs, store, state } = await fresh(scenario, {
            at,
            error: "EIO",
          });
          const where = `failing call ${at}: ${fs.calls.at(-1) ?? ""}`;
          let error: unknown;
          try {
            await scenario.run(store, state);
          } catch (err) {
            error = err;
          }
          const failedCall = fs.calls[at - 1];
          const after = snapshot(inner);
          if (error === undefined) {
            // The failure hit a step whose failure is harmless (closing a
            // file read, a look before the first operation), or the removal
            // of a published temporary's old name, left for clean().
            if (after.join() === post.join()) continue;
            assert.match(failedCall!, /^unlink \/s\/tmp\/\./, where);
            const kept = (s: string[]) =>
              s.filter((l) => !l.startsWith("tmp/.TEMP"));
            assert.deepEqual(kept(after), kept(post), `${where}: not thrown`);
            assert.equal(after.length, post.length + 1, `${where}: leftover`);
            continue;
          }
          assert.ok(error instanceof FileStoreError, `${failedCall}: ${error}`);
          assert.equal(
            (error.cause as { code?: string }).code,
            "EIO",
            failedCall,
          );
          assert.match(error.message, scenario.names, failedCall);
          if (error instanceof PartialDeliveryError && scenario.resume) {
            // Some of the batch is delivered, complete, and named; none of the
            // rest is visible; finishing the rest gives the full result.
            assert.ok(error.delivered.length > 0, failedCall);
            for (const name of error.delivered) {
              assert.ok(after.some((l) => l.startsWith(`new/${name}=`)), name);
            }
            assert.equal(
              after.filter((l) => l.startsWith("new/")).length,
              error.delivered.length,
              failedCall,
            );
            await scenario.resume(store, error);
            assert.deepEqual(snapshot(inner), post, `${failedCall}: resumed`);
            continue;
          }
          if (scenario.loose) {
            // Several user-level steps: new, cur and dead are untouched.
            const visible = (s: string[]) =>
              s.filter((l) => /^(new|cur|wait|dead)\//.test(l));
            assert.deepEqual(visible(after), visible(pre), failedCall);
          } else if (after.join() === post.join()) {
            // Done, but not known to be durable: the error must say so; or a
            // loop that had done its work failed looking for more.
            if (!scenario.progressive) {
              assert.match(error.message, /cannot sync|Delivered/, failedCall);
            }
            continue;
          } else {
            assert.deepEqual(
              after,
              pre,
              `${failedCall}: neither before nor after`,
            );
          }
          // The fault is spent: the same operation now succeeds.
          await scenario.run(store, state);
          assert.deepEqual(snapshot(inner), post, `${failedCall}: retry`);
        }
      });
    }
  });
}

describe("a power cut after every call", () => {
  for (const scenario of SCENARIOS.filter((s) => !s.loose)) {
    test(`${scenario.name} loses and duplicates nothing when the power is cut`, async () => {
      durability = "full";
      const { setupCalls, total, pre, post } = await measure(scenario);
      const before = pre.filter((l) => /^(new|cur|wait|dead)\//.test(l)).map((
        l,
      ) => l.slice(l.indexOf("=") + 1)).sort();
      const afterOp = post.filter((l) => /^(new|cur|wait|dead)\//.test(l)).map((
        l,
      ) => l.slice(l.indexOf("=") + 1)).sort();
      for (let at = setupCalls; at <= total; at++) {
        const { inner, fs, store, state } = await fresh(
          scenario,
          at === setupCalls ? {} : { at, powerCut: true },
        );
        if (at === setupCalls) inner.crash(); // a cut just before it
        else await scenario.run(store, state).catch(() => {});
        assert.ok(
          at === setupCalls || (fs as FaultyFileSystem).poweredOff,
          `cut at ${at} of ${total}: ${fs.calls.slice(setupCalls).join(", ")}`,
        );
        // Reboot: every process is gone; the housekeeping runs.
        const rebooted = new FileStore(ROOT, { fs: inner });
        await rebooted.recover({ olderThan: 0 });
        await rebooted.clean({ olderThan: 0 });
        const got = contents(inner);
        const ok = got.join() === before.join() ||
          got.join() === afterOp.join();
        assert.ok(
          ok,
          `cut after call ${at} (${fs.calls[at - 1]}): ${JSON.stringify(got)}`,
        );
        assert.deepEqual(
          inner.readDir(`${ROOT}/tmp`),
          [],
          `tmp after clean, cut at ${at}`,
        );
      }
    });
  }
});

describe("committed but not durable", () => {
  test("deliver() reports NotDurableError when the directory fsync fails", async () => {
    const inner = memoryFileSystem();
    const fs = faultyFileSystem(inner, { operation: "syncDirectory", nth: 2 });
    const store = new FileStore(ROOT, { fs });
    await store.prepare(); // the first syncDirectory
    const err = await store.deliver("x", { name: "n" }).catch((e) => e);
    assert.ok(err instanceof NotDurableError, String(err));
    assert.equal(err.fileName, "n");
    assert.equal(err.code, "NOT_DURABLE");
    assert.equal((err.cause as { code?: string }).code, "EIO");
    assert.deepEqual(await store.list("new"), ["/s/new/n"]);
  });

  test("Claim.release() whose fsync fails is settled all the same", async () => {
    const inner = memoryFileSystem();
    const fs = faultyFileSystem(inner, { operation: "syncDirectory", nth: 3 });
    const store = new FileStore(ROOT, { fs });
    await store.prepare(); // the first syncDirectory
    await store.deliver("x", { name: "r" }); // the second
    const claim = await store.claim();
    const err = await claim!.release().catch((e) => e);
    assert.match(String(err), /Did release 'r' but cannot sync 'new'/);
    assert.equal(claim!.held, false);
    assert.equal((await store.list("new")).length, 1);
    assert.match((await store.list("new"))[0]!, /^\/s\/new\/r~0\.r\./);
  });

  test("faultyFileSystem() fails persistently and with each error kind", async () => {
    for (
      const [kind, name] of [
        ["ENOSPC", "NoSpaceError"],
        ["EACCES", "PermissionDeniedError"],
        ["EMFILE", "TooManyOpenFilesError"],
        ["ENOENT", "NotFoundError"],
        ["EIO", "IOError"],
      ] as const
    ) {
      const fs = faultyFileSystem(memoryFileSystem(), {
        operation: "open",
        error: kind,
        persistent: true,
      });
      const store = new FileStore(ROOT, { fs });
      await store.prepare();
      for (let i = 0; i < 2; i++) {
        const err = await store.deliver("x").catch((e) => e);
        assert.equal(err.name, name, kind);
      }
      assert.deepEqual(await store.list("new"), []);
      assert.deepEqual(await store.clean({ olderThan: 0 }), []);
    }
  });
});
