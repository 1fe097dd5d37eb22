// The CLI consumer under a stop, with real processes: Ctrl-C on a real
// pseudo-terminal (script(1)) and a SIGTERM to the consumer and its command
// at once (what systemd does to a control group) fail nothing and start no
// command after the stop; a claim made by `filestore claim`, whose process
// has exited, is not recovered for that exit; the command gets absolute
// paths and its FILESTORE_* variables under a relative --store.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import { describe, test } from "node:test";
import { FileStore } from "../mod.ts";
import { collect, inTempDir } from "./_backends.ts";
import {
  cliCommand,
  exited,
  filestore,
  startCommand,
  until,
} from "./_spawn.ts";

function lines(path: string): string[] {
  try {
    return nodeFs.readFileSync(path, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

// The command: logs "start NAME PID", works a second, logs "end NAME".
function worker(log: string): string[] {
  return [
    "sh",
    "-c",
    `echo "start $FILESTORE_NAME $$" >> '${log}'; sleep 1; echo "end $FILESTORE_NAME" >> '${log}'`,
    "worker",
  ];
}

async function queued(root: string, count: number): Promise<FileStore> {
  const store = new FileStore(root, { durability: "none" });
  await store.prepare();
  for (let i = 0; i < count; i++) {
    await store.deliver(`${i}`, { name: `f${i}` });
  }
  return store;
}

async function unharmed(store: FileStore, handled: number): Promise<void> {
  // Nothing failed: no dead letter, no attempt counted, nothing held.
  assert.deepEqual(await store.list("dead"), []);
  assert.deepEqual(await store.list("cur"), []);
  const left = await collect(store.entries("new"));
  assert.equal(left.length, 5 - handled);
  assert.ok(left.every((e) => e.attempts === 0), JSON.stringify(left));
}

const noScript = spawnSync("script", ["--version"]).status === 0
  ? undefined
  : "script(1) is not installed";

describe("the CLI consumer under a stop, with real processes", () => {
  test(
    "Ctrl-C on a terminal lets the running command finish, fails nothing, starts nothing new",
    {
      skip: noScript,
    },
    () =>
      inTempDir(async (dir) => {
        const root = `${dir}/s`;
        const log = `${dir}/log`;
        const store = await queued(root, 5);
        const [cmd, args] = cliCommand([
          "-s",
          root,
          "consume",
          "--watch",
          "--",
          ...worker(log),
        ]);
        const quoted = [cmd, ...args].map((a) =>
          `'${a.replaceAll("'", "'\\''")}'`
        ).join(" ");
        // script gives the consumer a real pseudo-terminal; a ^C written to it
        // is turned into SIGINT for the terminal's foreground process group.
        // script runs its command with $SHELL -c: `exec` keeps a shell that
        // does not exec by itself (dash) out of that group, where the ^C would
        // end it and script would report 130 whatever the consumer did.
        const term = startCommand(
          "script",
          ["-qfec", `exec ${quoted}`, "/dev/null"],
          { SHELL: "/bin/sh" },
        );
        await until(() => lines(log).length >= 1, 20_000, "the first command");
        term.stdin!.write("\x03");
        const code = await exited(term);
        assert.equal(code, 0, term.output() + term.errors());
        const log1 = lines(log);
        assert.equal(
          log1.filter((l) => l.startsWith("start")).length,
          1,
          log1.join("|"),
        );
        assert.deepEqual(log1.map((l) => l.split(" ").slice(0, 2).join(" ")), [
          "start f0",
          "end f0",
        ]);
        assert.doesNotMatch(term.output(), /failed \(attempt/);
        await unharmed(store, 1);
      }),
  );

  test("SIGTERM to the consumer and its command at once (systemd's stop) fails nothing, starts nothing new", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const log = `${dir}/log`;
      const store = await queued(root, 5);
      const [cmd, args] = cliCommand([
        "-s",
        root,
        "consume",
        "--watch",
        "--max-attempts",
        "1",
        "--",
        ...worker(log),
      ]);
      const consumer = startCommand(cmd, args);
      await until(() => lines(log).length >= 1, 20_000, "the first command");
      const commandPid = Number(lines(log)[0]!.split(" ")[2]);
      // Both at once, in either order: as a control group's kill does.
      process.kill(commandPid, "SIGTERM");
      process.kill(consumer.pid!, "SIGTERM");
      const code = await exited(consumer);
      assert.equal(code, 0, consumer.errors());
      await new Promise((r) => setTimeout(r, 1500)); // a late start would log
      const log1 = lines(log);
      assert.deepEqual(log1.map((l) => l.split(" ").slice(0, 2).join(" ")), [
        "start f0",
      ], log1.join("|"));
      assert.doesNotMatch(consumer.errors(), /failed \(attempt/);
      assert.match(
        consumer.errors(),
        /0 handled, 0 failed \(0 dead-lettered\), 1 put back/,
      );
      await unharmed(store, 0);
    }));

  test("a claim made by `filestore claim` is not recovered because its process exited", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = await queued(root, 1);
      const claim = await filestore(["-s", root, "claim", "--lease", "1h"]);
      assert.equal(claim.code, 0, claim.err);
      const entry = claim.out.trim();
      assert.deepEqual(
        await store.recover(),
        [],
        "its process is gone, its lease is not",
      );
      const late = new FileStore(root, { now: () => Date.now() + 30 * 60_000 });
      assert.deepEqual(
        await late.recover(),
        [],
        "half an hour on: within its hour",
      );
      assert.equal((await filestore(["-s", root, "touch", entry])).code, 0);
      assert.equal((await filestore(["-s", root, "done", entry])).code, 0);
      assert.deepEqual(await store.list("cur"), []);
      // Without --lease, the default 10 minutes: recovered after them only.
      await store.deliver("again", { name: "g" });
      const second = await filestore(["-s", root, "claim"]);
      assert.deepEqual(await store.recover(), []);
      const later = new FileStore(root, {
        now: () => Date.now() + 11 * 60_000,
      });
      assert.deepEqual(
        (await later.recover()).map((p) =>
          p.slice(p.lastIndexOf("/") + 1, p.indexOf("~", p.lastIndexOf("/")))
        ),
        ["g"],
      );
      assert.equal(
        (await filestore(["-s", root, "done", second.out.trim()])).code,
        1,
        "recovered: lost",
      );
    }));

  test("the command gets absolute paths and FILESTORE_* under a relative --store", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = await queued(root, 1);
      const out = `${dir}/seen`;
      const [cmd, args] = cliCommand([
        "-s",
        "s",
        "consume",
        "--",
        "sh",
        "-c",
        `cd / && cat "$1" > /dev/null && echo "$1|$FILESTORE_NAME|$FILESTORE_ATTEMPTS|$FILESTORE_ENTRY|$FILESTORE_STORE" > '${out}'`,
        "sh",
      ]);
      const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const [path, name, attempts, entry, storePath] = nodeFs.readFileSync(
        out,
        "utf8",
      ).trim().split("|");
      assert.equal(
        storePath,
        nodeFs.realpathSync(root) === root ? root : storePath,
      );
      assert.equal(path, `${storePath}/cur/${entry}`);
      assert.ok(path!.startsWith("/"));
      assert.deepEqual([name, attempts], ["f0", "0"]);
      assert.match(entry!, /^f0~0\.c\./);
      assert.deepEqual(await store.list("new"), []);
    }));
});

describe("dead letters from the command line, one process per command", () => {
  test("fail --reason, list --long, requeue by name and purge, across processes", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const s = ["-s", root];
      await queued(root, 2);
      for (let i = 0; i < 2; i++) {
        const claim = await filestore([...s, "claim"]);
        const failed = await filestore([
          ...s,
          "fail",
          claim.out.trim(),
          "--max-attempts",
          "1",
          "--reason",
          `refused ${i}`,
        ]);
        assert.equal(failed.code, 0, failed.err);
      }
      const long = await filestore([...s, "list", "dead", "--long"]);
      assert.match(long.out, /^dead +1 .* f0~1\.d\.\S+ refused 0$/m);
      assert.match(long.out, /^dead +1 .* f1~1\.d\.\S+ refused 1$/m);
      const requeued = await filestore([...s, "requeue", "f0"]);
      assert.equal(requeued.code, 0, requeued.err);
      const store = new FileStore(root);
      const [back] = await collect(store.entries("new"));
      assert.deepEqual([back!.name, back!.attempts, back!.reason], [
        "f0",
        0,
        "refused 0",
      ]);
      const purged = await filestore([
        ...s,
        "purge",
        "dead",
        "--older-than",
        "0",
      ]);
      assert.equal(purged.err, "1 file purged\n");
      assert.deepEqual(await store.list("dead"), []);
      assert.deepEqual(
        nodeFs.readdirSync(`${root}/reasons`).length,
        1,
        "f0's only",
      );
    }));
});
