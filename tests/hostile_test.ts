// Hostile producers: nothing outside the store is ever read, written or
// followed, and no input hangs a consumer. Symbolic links, FIFOs and
// devices swapped in at the worst moment, attacker processes racing reads
// and claims, a low descriptor limit, big files, options that cannot be
// honoured.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import { test } from "node:test";
import {
  FileStore,
  type FileSystem,
  NotADirectoryError,
  NotAFileError,
} from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import {
  backends,
  backendSuite,
  inTempDir,
  runtime,
  storeTest,
  text,
} from "./_backends.ts";
import { cliCommand, command, exited, start, startCommand } from "./_spawn.ts";

const SECRET = "the secret outside the store";
const linux = process.platform === "linux";

// Replaces new/<name> by what `plant` puts there, right before the claim's
// rename of it: the race a producer wins between a listing and a claim.
function swapping(
  inner: FileSystem,
  name: string,
  plant: (path: string) => void,
): FileSystem {
  let done = false;
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "rename") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (from: string, to: string) => {
        if (!done && from.endsWith(`/new/${name}`) && to.includes("/cur/")) {
          done = true;
          target.unlink(from);
          plant(from);
        }
        return target.rename(from, to);
      };
    },
  }) as FileSystem;
}

for (const backend of backends.filter((b) => b.real)) {
  backendSuite(`hostile input (${backend.name})`, backend, () => {
    const it = storeTest(backend, { durability: "none" });

    it("read(), copy() and stream() refuse a symbolic link out of the store", async ({ store, root, dir, symlink }) => {
      nodeFs.writeFileSync(`${dir}/secret`, SECRET);
      symlink(`${dir}/secret`, `${root}/new/x`);
      await assert.rejects(store.read("x", "new"), NotAFileError);
      await assert.rejects(store.copy("x", "new", "cur"), NotAFileError);
      await assert.rejects(
        new Response(store.stream("x", "new")).text(),
        NotAFileError,
      );
      assert.deepEqual(await store.list("cur"), []);
      assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
    });

    it("read() and copy() of a FIFO fail at once instead of waiting for a writer", async ({ store, root }) => {
      assert.equal(spawnSync("mkfifo", [`${root}/new/pipe`]).status, 0);
      await assert.rejects(store.read("pipe", "new"), NotAFileError);
      await assert.rejects(store.copy("pipe", "new", "cur"), NotAFileError);
      assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
    });

    it("create() never writes through a link planted in tmp", async ({ store, root, dir, symlink }) => {
      nodeFs.writeFileSync(`${dir}/victim`, "untouched");
      symlink(`${dir}/victim`, `${root}/tmp/w`);
      symlink(`${dir}/victim`, `${root}/tmp/a`);
      symlink(`${dir}/nowhere`, `${root}/tmp/d`);
      await assert.rejects(store.create("w", "w"), NotAFileError);
      await assert.rejects(store.create("a", "a"), NotAFileError);
      await assert.rejects(store.create("d", "w"));
      assert.equal(nodeFs.readFileSync(`${dir}/victim`, "utf8"), "untouched");
      assert.equal(
        nodeFs.existsSync(`${dir}/nowhere`),
        false,
        "no file made outside",
      );
    });

    for (
      const [what, plant] of [
        [
          "a symbolic link to a secret",
          (dir: string, p: string) => nodeFs.symlinkSync(`${dir}/secret`, p),
        ],
        [
          "a symbolic link to /dev/zero",
          (_: string, p: string) => nodeFs.symlinkSync("/dev/zero", p),
        ],
        ["a FIFO", (_: string, p: string) => spawnSync("mkfifo", [p])],
      ] as const
    ) {
      it(`claim() never hands out ${what} swapped in after the listing`, async ({ fs, dir, open }) => {
        nodeFs.writeFileSync(`${dir}/secret`, SECRET);
        const store = open({ fs: swapping(fs, "a", (p) => plant(dir, p)) });
        await store.deliver("first", { name: "a" });
        await store.deliver("second", { name: "b" });
        const claim = await store.claim();
        assert.equal(claim?.name, "b", "the swapped entry is passed over");
        assert.equal(await claim!.text(), "second");
        await claim!.done();
        assert.equal(await store.claim(), null);
        const stats = await store.stats();
        assert.equal(
          stats.dead.ignored,
          1,
          "set aside where an operator sees it",
        );
        assert.equal(stats.cur.count + stats.new.count, 0);
        assert.equal(nodeFs.readFileSync(`${dir}/secret`, "utf8"), SECRET);
      });
    }

    it("an area swapped for a link after the store was opened is refused", async ({ store, root, dir }) => {
      await store.list("new"); // opened
      nodeFs.mkdirSync(`${dir}/elsewhere`);
      nodeFs.renameSync(`${root}/new`, `${dir}/moved`);
      nodeFs.symlinkSync(`${dir}/elsewhere`, `${root}/new`);
      await assert.rejects(store.list("new"), NotADirectoryError);
      assert.equal(
        await store.claim().catch((e) => e.name),
        "NotADirectoryError",
      );
    });

    it("readFile() takes about the file's size in memory", async ({ fs, dir }) => {
      const size = 3 * 1024 * 1024 + 17;
      nodeFs.writeFileSync(`${dir}/big`, new Uint8Array(size).fill(7));
      const data = await fs.readFile(`${dir}/big`);
      assert.equal(data.length, size);
      assert.ok(
        data.buffer.byteLength <= size + 1,
        `${data.buffer.byteLength}`,
      );
    });

    it("mode sets the permission bits of a shared spool whatever the umask", async ({ fs, dir }) => {
      const store = new FileStore(`${dir}/shared`, {
        fs,
        mode: { directories: 0o2775, files: 0o664 },
      });
      await store.prepare();
      for (const area of ["tmp", "new", "cur"]) {
        assert.equal(
          nodeFs.statSync(`${dir}/shared/${area}`).mode & 0o7777,
          0o2775,
          area,
        );
      }
      const name = await store.deliver("x");
      const claim = await store.claim({ maxAttempts: 1 });
      await claim!.fail();
      assert.equal(nodeFs.statSync(`${dir}/shared/dead`).mode & 0o7777, 0o2775);
      // wait and the directories of its due times, each made with the mode.
      await store.deliver("later", { delay: 60_000 });
      let waiting = `${dir}/shared/wait`;
      for (let level = 0; level < 3; level++) {
        assert.equal(nodeFs.statSync(waiting).mode & 0o7777, 0o2775, waiting);
        const [sub] = nodeFs.readdirSync(waiting);
        waiting = `${waiting}/${sub}`;
      }
      const bits = nodeFs.statSync((await store.list("dead"))[0]!).mode & 0o777;
      // Deno has no fchmod: there the umask still applies to files.
      const umask = process.umask();
      assert.equal(
        bits,
        backend.name === "deno" ? 0o664 & ~umask : 0o664,
        name,
      );
    });
  });
}

test(
  "an attacker flipping new/x between a file and a link never gets read() the secret",
  { skip: linux ? false : "needs Linux" },
  () =>
    inTempDir(async (dir) => {
      nodeFs.writeFileSync(`${dir}/secret`, SECRET);
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      const attacker = start("_worker", [
        "flip",
        root,
        `${dir}/secret`,
        "10000",
      ]);
      const got = new Map<string, number>();
      let reads = 0;
      while (attacker.exitCode === null && reads < 10_000) {
        reads++;
        for (
          const op of [() => store.read("x", "new"), async () => {
            await store.copy("x", "new", "cur", { overwrite: true });
            return await store.read("x", "cur");
          }]
        ) {
          try {
            const body = text(await op());
            got.set(body, (got.get(body) ?? 0) + 1);
          } catch (err) {
            const name = (err as Error).name;
            assert.ok(
              ["NotAFileError", "NotFoundError"].includes(name),
              String(err),
            );
          }
        }
      }
      attacker.kill();
      await exited(attacker);
      assert.equal(
        got.get(SECRET),
        undefined,
        `the secret leaked: ${[...got]}`,
      );
      assert.ok((got.get("harmless") ?? 0) > 0, "the race was run");
    }),
);

test(
  "a consumer never gets a file an attacker swapped for a link after delivering it",
  { skip: linux ? false : "needs Linux" },
  () =>
    inTempDir(async (dir) => {
      nodeFs.writeFileSync(`${dir}/secret`, SECRET);
      const root = `${dir}/s`;
      const store = new FileStore(root, { durability: "none" });
      await store.prepare();
      const attacker = start("_worker", ["swap", root, `${dir}/secret`, "300"]);
      const bodies: string[] = [];
      const stop = new AbortController();
      attacker.closed.then(() => setTimeout(() => stop.abort(), 300));
      await store.consume(async (claim) => {
        bodies.push(await claim.text());
      }, { watch: true, pollInterval: 20, signal: stop.signal });
      assert.equal(await exited(attacker), 0, attacker.errors());
      assert.ok(!bodies.includes(SECRET), "the secret was handed to a handler");
      const stats = await store.stats();
      // What was handled is what was delivered; the links are left in new
      // (a listing never takes one) or set aside in dead (swapped in after
      // the listing), counted where an operator sees them; nothing is stuck.
      assert.ok(bodies.every((b) => b === "harmless"));
      assert.ok(stats.dead.ignored + stats.new.ignored > 0, "the attack ran");
      assert.equal(stats.new.count + stats.cur.count, 0);
    }),
);

test("under ulimit -n 64 a batch of 200 and 80 handlers at once work, losing no attempt", () =>
  inTempDir(async (dir) => {
    const [cmd, args] = command("_worker", ["limits", `${dir}/s`]);
    const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(" ");
    const child = startCommand("sh", ["-c", `ulimit -n 64 && exec ${quoted}`]);
    assert.equal(await exited(child), 0, child.errors());
    const report = JSON.parse(child.output());
    assert.equal(report.delivered, 200, JSON.stringify(report));
    assert.ok(
      report.pressure > 0,
      `EMFILE happened (${runtime}): ${JSON.stringify(report)}`,
    );
    assert.deepEqual(report.result, {
      handled: 200,
      failed: 0,
      dead: 0,
      lost: 0,
      settled: 0,
    });
    assert.deepEqual(report.left, { new: 0, cur: 0, dead: 0 });
  }));

test("filestore deliver of 200 files works under ulimit -n 64", () =>
  inTempDir(async (dir) => {
    const files = Array.from({ length: 200 }, (_, i) => `${dir}/f${i}`);
    files.forEach((f, i) => nodeFs.writeFileSync(f, `${i}`));
    const [cmd, args] = cliCommand(["-s", `${dir}/s`, "deliver", ...files]);
    await new FileStore(`${dir}/s`).prepare();
    const quoted = [cmd, ...args].map((a) => `'${a}'`).join(" ");
    const child = startCommand("sh", ["-c", `ulimit -n 64 && exec ${quoted}`]);
    assert.equal(await exited(child), 0, child.errors());
    const store = new FileStore(`${dir}/s`);
    assert.equal((await store.list("new")).length, 200);
    const bodies = new Set<string>();
    for await (const claim of store.claims()) {
      bodies.add(await claim.text());
      await claim.done();
    }
    assert.equal(bodies.size, 200);
  }));

test("options that cannot be honoured are refused with a TypeError naming the bound", async () => {
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs });
  await store.prepare();
  for (const pollInterval of [Infinity, 2 ** 31, -1, NaN]) {
    await assert.rejects(
      store.claims({ pollInterval })[Symbol.asyncIterator]().next(),
      TypeError,
    );
    await assert.rejects(
      store.consume(() => {}, { pollInterval }),
      /2147483647/,
    );
  }
  await assert.rejects(
    store.deliverMany("hello" as unknown as string[]),
    /not a string/,
  );
  assert.deepEqual(fs.readDir("/s/new"), []);
  assert.throws(
    () => new FileStore("/s", { fs, mode: { files: 0o10000 } }),
    /0o7777/,
  );
  const broken = new FileStore("/s", { fs, now: () => NaN });
  await assert.rejects(broken.deliver("x").then(() => broken.claim()), /clock/);
});

test("filestore --json cat streams a big file as base64", async () => {
  const { main } = await import("../src/cli/main.ts");
  const fs = memoryFileSystem();
  const store = new FileStore("/s", { fs });
  await store.prepare();
  const data = new Uint8Array(5 * 65536 + 7).map((_, i) => (i * 31) % 256);
  await store.deliver(data, { name: "big" });
  let out = "";
  const io = {
    stdin: async function* () {},
    stdout: (d: Uint8Array | string) => {
      out += typeof d === "string" ? d : new TextDecoder().decode(d);
    },
    stderr: () => {},
    stderrIsTerminal: false,
    env: () => undefined,
    fs,
    onSignal: () => () => {},
    run: () => Promise.resolve(0),
  };
  assert.equal(await main(["-s", "/s", "--json", "cat", "big", "new"], io), 0);
  const back = Uint8Array.from(
    atob(JSON.parse(out).base64),
    (c) => c.charCodeAt(0),
  );
  assert.deepEqual(back, data);
});
