// Protocol v2 against real processes: concurrent recoverers, a holder racing
// recovery, a SIGKILL before every filesystem call of every transition, a
// spool shared by two users, and a holder in another pid namespace. Each
// proves that no file is lost and none is left under two names.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import { describe, test } from "node:test";
import { FileStore } from "../mod.ts";
import { nodeFileSystem } from "../src/backends/node.ts";
import { inTempDir, runtime } from "./_backends.ts";
import { command, exited, start, startCommand, until } from "./_spawn.ts";

const fs = nodeFileSystem();

/** Every file of the queue areas, as `area/entry` => content. */
function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const area of ["new", "cur", "wait", "dead"]) {
    let paths: string[];
    try {
      // `wait` keeps its files in directories of their due times.
      paths =
        (nodeFs.readdirSync(`${root}/${area}`, { recursive: true }) as string[])
          .filter((p) => nodeFs.statSync(`${root}/${area}/${p}`).isFile());
    } catch {
      continue;
    }
    for (const path of paths) {
      out.set(
        `${area}/${path.slice(path.lastIndexOf("/") + 1)}`,
        nodeFs.readFileSync(`${root}/${area}/${path}`, "utf8"),
      );
    }
  }
  return out;
}

/** Asserts each of `count` files "0".."count-1" is in the queue exactly once. */
function exactlyOnce(root: string, count: number, where = ""): void {
  const bodies = [...files(root).values()].sort();
  const expected = Array.from({ length: count }, (_, i) => `${i}`).sort();
  assert.deepEqual(bodies, expected, where);
  // No visible leftovers in tmp either (temporaries are dotfiles).
  assert.deepEqual(
    nodeFs.readdirSync(`${root}/tmp`).filter((n) => !n.startsWith(".")),
    [],
  );
}

async function orphans(root: string, count: number): Promise<void> {
  const holder = start("_worker", ["orphan", root, String(count)]);
  assert.equal(await exited(holder), 0, holder.errors());
  assert.equal(holder.output(), `claimed ${count}\n`);
}

describe("protocol v2 with real processes", () => {
  test("recover() by four processes at once loses and doubles nothing", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      await orphans(root, 400);
      assert.equal(nodeFs.readdirSync(`${root}/cur`).length, 400);
      // The holder is dead on this host: every claim is an orphan at once.
      const recoverers = Array.from(
        { length: 4 },
        () => start("_worker", ["recover", root, "600000"]),
      );
      const codes = await Promise.all(recoverers.map(exited));
      assert.deepEqual(codes, [0, 0, 0, 0], recoverers[0]!.errors());
      const total = recoverers.reduce((n, r) => n + Number(r.output()), 0);
      assert.equal(total, 400, "each claim recovered by exactly one");
      assert.equal(nodeFs.readdirSync(`${root}/cur`).length, 0);
      exactlyOnce(root, 400);
      for (const entry of files(root).keys()) {
        assert.match(entry, /^new\/f\d+~1\.r\./);
      }
    }));

  test("a holder failing its claims while two processes recover them loses nothing", () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, {
        fs,
        durability: "none",
        backoff: false,
      });
      await store.prepare();
      await store.deliverMany(
        Array.from(
          { length: 300 },
          (_, i) => ({ data: `${i}`, name: `f${i}` }),
        ),
      );
      const holder = start("_worker", ["holdfail", root]);
      await until(() => holder.output().includes("ready"), 20_000, "ready");
      // Recovery by age 0 takes live claims: it races the holder's fail().
      const recoverers = [0, 1].map(() =>
        start("_worker", ["recover", root, "0"])
      );
      holder.stdin!.write("go\n");
      const codes = await Promise.all([holder, ...recoverers].map(exited));
      assert.deepEqual(codes, [0, 0, 0], holder.errors());
      const { failed, lost } = JSON.parse(holder.output().split("\n")[1]!);
      const recovered = recoverers.reduce((n, r) => n + Number(r.output()), 0);
      assert.equal(failed + lost, 300);
      assert.equal(recovered, lost, "every claim the holder lost, one took");
      exactlyOnce(root, 300);
    }));

  for (
    const op of [
      "deliver",
      "release",
      "fail",
      "dead",
      "done",
      "recover",
      "requeue",
      "purge",
    ]
  ) {
    test(`a SIGKILL before any call of ${op} leaves the file under one name`, async () => {
      for (let n = 1;; n++) {
        const finished = await inTempDir(async (dir) => {
          const root = `${dir}/s`;
          const child = start("_worker", ["killat", root, op, String(n)]);
          const code = await exited(child);
          const done = child.output().startsWith("finished");
          assert.ok(done || code === null, `${op} at ${n}: ${child.errors()}`);
          const entries = [...files(root)];
          if (
            (op === "done" || op === "purge") && (done || entries.length === 0)
          ) {
            // Finished: removed (the only outcome with no name left).
            assert.ok(done || entries.length === 0);
          } else if (!(op === "deliver" && entries.length === 0)) {
            assert.equal(entries.length, 1, `${op} at ${n}: ${entries}`);
            assert.equal(entries[0]![1], "x");
          }
          // Whatever is left in tmp is a dotfile that clean() removes.
          const store = new FileStore(root, {
            fs,
            backoff: false,
            now: () => Date.now() + 1e9,
          });
          // Every reason an entry names is there, with its text; none is
          // named twice or by nothing (after clean(), which removes those).
          const named = () =>
            [...files(root).keys()].flatMap((k) =>
              /\.([0-9a-z]{8})$/.exec(k)?.[1] ?? []
            );
          const reasons = () => {
            try {
              return nodeFs.readdirSync(`${root}/reasons`).sort();
            } catch {
              return [];
            }
          };
          for (const key of named()) {
            assert.match(
              nodeFs.readFileSync(`${root}/reasons/${key}`, "utf8"),
              /^(first|second|Recovered: .+)$/,
              `${op} at ${n}`,
            );
          }
          // Without a crash, none is left over even before clean().
          if (done) {
            assert.deepEqual(reasons(), named().sort(), `${op}: none left`);
          }
          await store.recover({ olderThan: 0 });
          await store.clean({ olderThan: 0 });
          assert.deepEqual(reasons(), named().sort(), `${op} at ${n}: reasons`);
          assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
          const after = [...files(root).values()];
          assert.ok(after.length <= 1 && after.every((b) => b === "x"));
          return done;
        });
        if (finished) break;
        assert.ok(n < 30, "the operation makes a handful of calls");
      }
    });
  }

  const nobody = canRunAsNobody();
  test(
    "a spool shared by two users: another uid claims, fails, releases and recovers",
    {
      skip: nobody,
    },
    () =>
      inTempDir(async (dir) => {
        nodeFs.chmodSync(dir, 0o755);
        const root = `${dir}/s`;
        const store = new FileStore(root, {
          fs,
          durability: "none",
          backoff: false,
        });
        await store.prepare();
        for (const area of ["tmp", "new", "cur"]) {
          nodeFs.chmodSync(`${root}/${area}`, 0o777);
        }
        // Files owned by root with mode 0644: another user may rename them
        // within a directory it can write, but not hard-link them
        // (fs.protected_hardlinks), which v1 needed for release and fail.
        await store.deliverMany(
          Array.from(
            { length: 3 },
            (_, i) => ({ data: `${i}`, name: `f${i}` }),
          ),
        );
        const [cmd, args] = command("_worker", ["holdfail", root]);
        const child = spawnSync(
          "setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args],
          { input: "go\n", encoding: "utf8", timeout: 30_000 },
        );
        assert.equal(child.status, 0, child.stderr);
        assert.deepEqual(JSON.parse(child.stdout.split("\n")[1]!), {
          failed: 3,
          lost: 0,
        });
        exactlyOnce(root, 3);
        const other = new FileStore(`${dir}/t`, { fs });
        await other.prepare();
        for (const area of ["tmp", "new", "cur"]) {
          nodeFs.chmodSync(`${dir}/t/${area}`, 0o777);
        }
        const rec = spawnSync(
          "setpriv",
          [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            ...command("_worker", ["orphan", `${dir}/t`, "2"]).flat(),
          ],
          { encoding: "utf8", timeout: 30_000 },
        );
        assert.equal(rec.status, 0, rec.stderr);
        // Root recovers the dead nobody's claims: renames, no links.
        assert.equal((await other.recover()).length, 2);
      }),
  );

  const unshared = canUnshare();
  test("recover() never judges a claim from another pid namespace by its pid", {
    skip: unshared,
  }, () =>
    inTempDir(async (dir) => {
      const root = `${dir}/s`;
      const store = new FileStore(root, {
        fs,
        durability: "none",
        backoff: false,
      });
      await store.prepare();
      await store.deliver("kept", { name: "a" });
      await store.deliver("held", { name: "b" });
      // Same host name, another pid namespace (a second container).
      const [cmd, args] = command("_worker", ["hold", root]);
      const holder = startCommand("unshare", [
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        cmd,
        ...args,
      ]);
      await until(
        () => holder.output().split("\n").length > 2,
        20_000,
        "claims",
      );
      const [, held] = holder.output().split("\n");
      const mine = await store.deliver("mine").then(() => store.claim());
      const tag = (entry: string) => entry.split(".")[3];
      assert.notEqual(
        tag(held!),
        tag(mine!.entry),
        "another scope, another tag",
      );
      assert.deepEqual(await store.recover(), []);
      holder.kill("SIGKILL");
      await exited(holder);
      // Its pid means nothing here: still only its age counts.
      assert.deepEqual(await store.recover(), []);
      const late = new FileStore(root, {
        fs,
        now: () => Date.now() + 3_600_000,
      });
      const recovered = await late.recover();
      assert.equal(recovered.length, 2); // the namespaced claim, and mine
      await mine!.done().catch(() => {});
    }));
});

function canRunAsNobody(): string | false {
  if (process.getuid?.() !== 0) return "needs root to switch users";
  const probe = spawnSync(
    "setpriv",
    [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      "--version",
    ],
    { encoding: "utf8" },
  );
  if (probe.error || probe.status !== 0) {
    return `'nobody' cannot run ${process.execPath} (${
      probe.error?.message ?? (probe.stderr.trim() || `exit ${probe.status}`)
    }) on ${runtime}`;
  }
  return false;
}

function canUnshare(): string | false {
  const probe = spawnSync("unshare", [
    "--pid",
    "--fork",
    "--mount-proc",
    "true",
  ], {
    encoding: "utf8",
  });
  if (probe.error || probe.status !== 0) {
    return `unshare cannot make a pid namespace here (${
      probe.error?.message ?? probe.stderr.trim()
    })`;
  }
  return false;
}
