// The option `shared`, for a store on a filesystem shared between hosts:
// claims end with a rename that a stale client cache cannot fake, and with
// `exclusiveNames: false` names the caller chooses are refused before
// anything touches the disk. (The real filesystems: tests/cluster_test.ts.)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ClaimLostError,
  FileStore,
  type FileSystem,
  NotFoundError,
  NotSupportedError,
} from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { type CliIo, main } from "../src/cli/main.ts";
import { recording } from "./_recording.ts";

// A client with GlusterFS's default caches, as measured on a real volume:
// for a name it has looked up, `unlink`, `utime` and `open` report success
// even after another host renamed the file away. `rename` is never faked.
function staleCache(inner: FileSystem): FileSystem {
  const seen = new Set<string>();
  const faked = <T>(path: string, call: () => Promise<T>, value: T) => {
    return (async () => await call())().then((v) => {
      seen.add(path);
      return v;
    }, (err) => {
      const missing = err instanceof NotFoundError ||
        (err as { code?: string }).code === "ENOENT";
      if (missing && seen.has(path)) return value;
      throw err;
    });
  };
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      const call = async (...args: unknown[]): Promise<unknown> =>
        await (value as (...a: unknown[]) => unknown).apply(target, args);
      if (key === "rename") {
        return (from: string, to: string) =>
          call(from, to).then((v) => (seen.add(to), v));
      }
      if (key === "unlink" || key === "utime") {
        return (path: string, ...rest: unknown[]) =>
          faked(path, () => call(path, ...rest), undefined);
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

async function stolen(shared: boolean): Promise<unknown> {
  const mem = memoryFileSystem();
  const store = new FileStore("/s", {
    fs: staleCache(mem),
    durability: "none",
    shared,
  });
  await store.prepare();
  await store.deliver("job");
  const claim = (await store.claim())!;
  // Another host takes the file back meanwhile (its recover()).
  const other = new FileStore("/s", {
    fs: mem,
    durability: "none",
    backoff: false,
    now: () => Date.now() + 3_600_000,
  });
  assert.equal((await other.recover()).length, 1);
  try {
    await claim.done();
    return "done";
  } catch (err) {
    return err;
  } finally {
    assert.equal(
      (await other.list("new")).length,
      1,
      "the file is back in new",
    );
  }
}

describe("the option shared", () => {
  test("done() on a shared store renames the claim into tmp, then removes it", async () => {
    const { fs, calls } = recording(memoryFileSystem());
    const store = new FileStore("/s", { fs, durability: "none", shared: true });
    await store.prepare();
    await store.deliver("job");
    const claim = (await store.claim())!;
    calls.length = 0;
    await claim.done();
    const ends = calls.filter((c) => /^(rename|unlink)\(/.test(c));
    assert.equal(ends.length, 2, calls.join("\n"));
    assert.match(ends[0]!, /^rename\(\/s\/cur\/[^,]+, \/s\/tmp\/\.[^,]+\)$/);
    assert.match(ends[1]!, /^unlink\(\/s\/tmp\/\./);
    assert.deepEqual(await store.list("cur"), []);
    assert.deepEqual(await store.list("tmp"), []);
    assert.deepEqual(await store.list("new"), []);
  });

  test("done() of a claim another host took is a ClaimLostError on a shared store, even when the client's cache fakes the unlink", async () => {
    // Without the option the stale cache makes done() look successful: the
    // hazard the option exists for.
    assert.equal(await stolen(false), "done");
    const err = await stolen(true);
    assert.ok(err instanceof ClaimLostError, String(err));
  });

  test("exclusiveNames: false refuses chosen names before touching the disk, and still delivers generated ones", async () => {
    const { fs, calls } = recording(memoryFileSystem());
    const store = new FileStore("/s", {
      fs,
      durability: "none",
      shared: { exclusiveNames: false },
    });
    await store.prepare();
    calls.length = 0;
    const refused = (err: unknown) => {
      assert.ok(err instanceof NotSupportedError, String(err));
      assert.equal(err.code, "NOT_SUPPORTED");
      assert.match(err.message, /cannot make a name exclusive/);
      return true;
    };
    await assert.rejects(store.deliver("x", { name: "job-1" }), refused);
    await assert.rejects(
      store.deliverMany(["a", { data: "b", name: "job-2" }]),
      refused,
    );
    await assert.rejects(store.move("a", "tmp", "new"), refused);
    await assert.rejects(store.copy("a", "new", "cur"), refused);
    assert.deepEqual(calls.filter((c) => !c.startsWith("lstat(")), []);
    const name = await store.deliver("generated");
    assert.equal((await store.list("new")).length, 1);
    // A move that may replace is a plain rename: allowed.
    await store.move(name, "new", "cur", { overwrite: true });
    assert.equal((await store.list("cur")).length, 1);
  });

  test("the option shared is checked", () => {
    for (const bad of ["yes", 1, null, { exclusiveNames: "no" }]) {
      assert.throws(
        () => new FileStore("/s", { shared: bad as never }),
        TypeError,
      );
    }
  });

  test("the CLI's --no-exclusive-names refuses deliver --name with NOT_SUPPORTED, and --shared ends claims with a rename", async () => {
    const { fs, calls } = recording(memoryFileSystem());
    let err = "";
    let out = "";
    const io: CliIo = {
      stdin: async function* () {},
      stdout: (d) => {
        out += typeof d === "string" ? d : new TextDecoder().decode(d);
      },
      stderr: (t) => {
        err += t;
      },
      stderrIsTerminal: false,
      env: () => undefined,
      fs,
      onSignal: () => () => {},
      run: () => Promise.resolve(0),
    };
    assert.equal(await main(["-s", "/s", "prepare"], io), 0);
    const code = await main([
      "-s",
      "/s",
      "--json",
      "--no-exclusive-names",
      "deliver",
      "--name",
      "job",
    ], io);
    assert.notEqual(code, 0);
    assert.match(err, /NOT_SUPPORTED/);
    assert.equal(
      await main(["-s", "/s", "--shared", "deliver"], io),
      0,
      err,
    );
    calls.length = 0;
    assert.equal(
      await main(["-s", "/s", "--shared", "consume", "--", "true"], io),
      0,
      err,
    );
    assert.ok(
      calls.some((c) => /^rename\(\/s\/cur\/.*\/s\/tmp\/\./.test(c)),
      calls.join("\n"),
    );
    assert.ok(out.length >= 0);
  });
});
