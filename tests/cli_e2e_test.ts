// The real `filestore` command, spawned as a process of the runtime under
// test (deno run src/cli/deno.ts; node or bun on the built src/cli/node.js).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { FileStore } from "../mod.ts";
import { inTempDir } from "./_backends.ts";
import { exited, filestore, start, until } from "./_spawn.ts";

const lines = (path: string): string[] => {
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

describe("filestore command", () => {
  test("filestore walks the original scenario from a shell", () =>
    inTempDir(async (dir) => {
      const s = ["--store", `${dir}/q`];
      assert.equal((await filestore([...s, "prepare"])).code, 0);
      assert.equal(
        (await filestore(
          [...s, "create", "a-file"],
          "Die Ente bleibt draussen!",
        )).code,
        0,
      );
      assert.deepEqual(await filestore([...s, "list", "tmp"]), {
        code: 0,
        out: `${dir}/q/tmp/a-file\n`,
        err: "",
      });
      assert.equal(
        (await filestore([...s, "move", "a-file", "tmp", "new"])).code,
        0,
      );
      assert.equal(
        (await filestore([...s, "copy", "a-file", "new", "cur"])).code,
        0,
      );
      const cat = await filestore([...s, "cat", `${dir}/q/cur/a-file`, "cur"]);
      assert.equal(cat.out, "Die Ente bleibt draussen!");
      await filestore([...s, "create", "a-file"], "again");
      const refused = await filestore([...s, "move", "a-file", "tmp", "cur"]);
      assert.deepEqual(refused, {
        code: 1,
        out: "",
        err:
          `filestore: Cannot move 'a-file' from 'tmp' to 'cur': 'cur/a-file' already exists (store '${dir}/q')\n`,
      });
      const usage = await filestore([...s, "move", "a-file"]);
      assert.equal(usage.code, 2);
      assert.match(usage.err, /Missing arguments[\s\S]*Usage: filestore/);
      const json = await filestore([...s, "--json", "list", "new"]);
      assert.deepEqual(
        JSON.parse(json.out).map((e: { path: string }) => e.path),
        [`${dir}/q/new/a-file`],
      );
      assert.equal((await filestore(["--version"])).out, "filestore 0.1.0\n");
    }));

  test("filestore runs the queue: deliver, claim, done", () =>
    inTempDir(async (dir) => {
      const s = ["-s", `${dir}/q`];
      await filestore([...s, "prepare"]);
      writeFileSync(`${dir}/a.txt`, "file a");
      const delivered = await filestore([...s, "deliver", `${dir}/a.txt`]);
      assert.equal(delivered.code, 0);
      const name = delivered.out.trim();
      const claim = await filestore([...s, "claim"]);
      assert.ok(claim.out.startsWith(`${dir}/q/cur/${name}~0.c.`));
      assert.equal(readFileSync(claim.out.trim(), "utf8"), "file a");
      assert.equal((await filestore([...s, "done", claim.out.trim()])).code, 0);
      assert.deepEqual(await filestore([...s, "claim"]), {
        code: 0,
        out: "",
        err: "",
      });
      const store = new FileStore(`${dir}/q`);
      for (const area of ["tmp", "new", "cur"] as const) {
        assert.deepEqual(await store.list(area), []);
      }
    }));

  test("filestore consume fails a file until it is dead-lettered", () =>
    inTempDir(async (dir) => {
      const s = ["-s", `${dir}/q`];
      await filestore([...s, "prepare"]);
      for (const body of ["one", "bad", "two"]) {
        await filestore([...s, "deliver", "--name", body], body);
      }
      const handler =
        `grep -q bad "$1" && exit 3; cat "$1" >> ${dir}/out; echo >> ${dir}/out`;
      const run = await filestore([
        ...s,
        "consume",
        "--backoff",
        "none",
        "--max-attempts",
        "3",
        "--",
        "sh",
        "-c",
        handler,
        "sh",
      ]);
      assert.equal(run.code, 3, run.err); // a file was dead-lettered
      assert.equal(
        run.err,
        [1, 2, 3].map((a) =>
          `filestore: 'bad' failed (attempt ${a} of 3): 'sh' exited with 3; ${
            a < 3 ? "retry now" : "dead-lettered"
          }\n`
        ).join("") + "2 handled, 3 failed (1 dead-lettered)\n",
      );
      assert.deepEqual(lines(`${dir}/out`).sort(), ["one", "two"]);
      const dead = await filestore([...s, "list", "dead"]);
      assert.match(dead.out, /\/dead\/bad~3\.d\./);
      const store = new FileStore(`${dir}/q`);
      assert.deepEqual(await store.list("new"), []);
      assert.deepEqual(await store.list("cur"), []);
    }));

  test("filestore consume --watch stops on SIGTERM with nothing lost or left claimed", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/q`;
      const store = new FileStore(root);
      await store.prepare();
      const handler = `sleep 0.2; cat "$1" >> ${dir}/out; echo >> ${dir}/out`;
      const consumer = start("filestore", [
        "-s",
        root,
        "consume",
        "--watch",
        "--",
        "sh",
        "-c",
        handler,
        "sh",
      ]);
      const bodies = Array.from({ length: 6 }, (_, i) => `file ${i}`);
      for (const body of bodies) await store.deliver(body);
      await until(() => lines(`${dir}/out`).length >= 2, 20_000, "two handled");
      // A command is running: a claim whose file is not handled yet.
      const running = async () => {
        const claimed = await store.list("cur");
        if (claimed.length !== 1) return false;
        try {
          const body = new TextDecoder().decode(
            await store.read(claimed[0]!, "cur"),
          );
          return !lines(`${dir}/out`).includes(body);
        } catch {
          return false; // finished meanwhile
        }
      };
      await until(running, 20_000, "a running command");
      consumer.kill("SIGTERM");
      await exited(consumer);
      assert.match(
        consumer.errors(),
        /^\d+ handled, 0 failed \(0 dead-lettered\)\n$/,
      );
      const handled = lines(`${dir}/out`);
      assert.ok(handled.length >= 3, `handled ${handled.length}`);
      const waiting = await Promise.all(
        (await store.list("new")).map(async (p) =>
          new TextDecoder().decode(await store.read(p, "new"))
        ),
      );
      assert.deepEqual([...handled, ...waiting].sort(), bodies);
      assert.deepEqual(await store.list("cur"), []);
    }));

  test("filestore deliver --delay, fail --delay and stats: files wait their time", () =>
    inTempDir(async (dir) => {
      const s = ["--store", `${dir}/q`];
      await filestore([...s, "prepare"]);
      const delivered = Date.now();
      assert.equal(
        (await filestore(
          [...s, "deliver", "--delay", "3s", "--name", "later"],
          "x",
        )).code,
        0,
      );
      const stats = await filestore([...s, "stats"]);
      assert.match(stats.out, /^wait\s+1\s.*next due in/m);
      const json = JSON.parse((await filestore([...s, "--json", "stats"])).out);
      assert.equal(json.wait.count, 1);
      const early = await filestore([...s, "claim"]);
      // Under a heavy load a process can take seconds to start: only a claim
      // that ended before the due time proves anything.
      if (Date.now() < delivered + 3000) {
        assert.equal(early.out, "", "not due yet");
      }
      let claim = early;
      while (claim.out === "") {
        assert.ok(Date.now() < delivered + 30_000, "due after 3 s");
        await new Promise((r) => setTimeout(r, 200));
        claim = await filestore([...s, "claim"]);
      }
      assert.match(claim.out, /\/cur\/later~0\.c\./);
      const failed = await filestore([
        ...s,
        "--json",
        "fail",
        claim.out.trim(),
        "--delay",
        "10m",
      ]);
      assert.equal(failed.code, 0, failed.err);
      const result = JSON.parse(failed.out);
      assert.ok(result.due > Date.now() + 9 * 60_000, "due in ten minutes");
      assert.match(result.path, /\/wait\/[0-9a-z]+\/[0-9a-z]+\/later~1\.w\./);
      const bad = await filestore([...s, "deliver", "--delay", "soon"], "x");
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--delay takes a duration/);
    }));

  test("filestore consume --timeout kills a command that runs too long and fails its file", () =>
    inTempDir(async (dir) => {
      const s = ["--store", `${dir}/q`];
      await filestore([...s, "prepare"]);
      await filestore([...s, "deliver", "--name", "slow"], "x");
      const started = Date.now();
      const run = await filestore([
        ...s,
        "consume",
        "--timeout",
        "300ms",
        "--max-attempts",
        "1",
        "--",
        "sleep",
        "30",
      ]);
      assert.equal(run.code, 3, run.err); // a file was dead-lettered
      assert.ok(Date.now() - started < 10_000, "the command was killed");
      assert.match(run.err, /0 handled, 1 failed \(1 dead-lettered\)/);
      assert.match(
        (await filestore([...s, "list", "dead"])).out,
        /\/dead\/slow~1\.d\./,
      );
    }));
});
