// Failures of a real disk, not simulated: a full filesystem (a tiny tmpfs
// mounted for the test), an area the user may not write, and symbolic links
// where the store expects directories and files.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import { test } from "node:test";
import {
  FileStore,
  FileStoreError,
  NoSpaceError,
  NotADirectoryError,
  PermissionDeniedError,
} from "../mod.ts";
import {
  type Backend,
  backends,
  backendSuite,
  inTempDir,
  tempDir,
  text,
} from "./_backends.ts";
import { command } from "./_spawn.ts";

const isRoot = process.platform === "linux" && process.getuid?.() === 0;

function run(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// Whether this process may mount a tmpfs (root on Linux, not in every
// container): tried once, on a scratch directory.
const mountable: string | undefined = (() => {
  if (!isRoot) return "mounting a tmpfs needs root on Linux";
  const { dir } = tempDir("filestore-probe-");
  try {
    if (!run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])) {
      return "mount -t tmpfs is not allowed here";
    }
    run("umount", [dir]);
    return undefined;
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
})();

// Whether the test worker can run as the unprivileged user nobody: the
// runtime's binary and this folder must be reachable for that user (they are
// not when they live under a home directory closed to others). Tried once.
const asNobody: string | undefined = (() => {
  if (!isRoot) return "already running without root";
  const { dir } = tempDir("filestore-probe-");
  try {
    nodeFs.chmodSync(dir, 0o777);
    const [cmd, args] = command("_worker", ["prepare", `${dir}/store`]);
    const out = execFileSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    return out === "prepared\n" ? undefined : "the worker failed as nobody";
  } catch {
    return `the test worker cannot run as nobody here (${
      command("_worker", [])[0]
    } or this folder is not reachable for that user)`;
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
})();

async function fsOf(backend: Backend) {
  const sandbox = await backend.sandbox();
  await sandbox.cleanup();
  return sandbox.fs;
}

for (const backend of backends.filter((b) => b.real)) {
  backendSuite(`real faults (${backend.name})`, backend, () => {
    test(
      "deliver() on a full disk fails cleanly and works again once space is freed",
      {
        skip: mountable,
      },
      async () => {
        const { dir, cleanup } = tempDir();
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir]);
        try {
          const store = new FileStore(`${dir}/store`, {
            fs: await fsOf(backend),
          });
          await store.prepare();
          const body = new Uint8Array(16 * 1024).fill(42);
          let error: unknown;
          const delivered: string[] = [];
          for (let i = 0; i < 64 && error === undefined; i++) {
            try {
              delivered.push(await store.deliver(body));
            } catch (err) {
              error = err;
            }
          }
          assert.ok(error instanceof NoSpaceError, `got ${error}`);
          assert.ok(error instanceof FileStoreError);
          assert.match(
            error.message,
            /^Cannot deliver '.+': no space left on the device \(ENOSPC\)$/,
          );
          assert.equal((error.cause as { code?: string }).code, "ENOSPC");
          assert.ok(delivered.length >= 4, `only ${delivered.length} fitted`);
          const waiting = await store.list("new");
          assert.equal(waiting.length, delivered.length);
          for (const path of waiting) {
            assert.deepEqual(await store.read(path, "new"), body, "complete");
          }
          assert.deepEqual(nodeFs.readdirSync(`${dir}/store/tmp`), [], "tmp");
          for (const path of waiting.slice(0, 3)) {
            await store.remove(path, "new");
          }
          const again = await store.deliver(body);
          assert.deepEqual(await store.read(again, "new"), body);
        } finally {
          execFileSync("umount", [dir]);
          await cleanup();
        }
      },
    );

    test("an area that may not be written: a typed error, nothing half done", async () => {
      const { dir, cleanup } = tempDir();
      const root = `${dir}/store`;
      let mounted = false;
      try {
        const store = new FileStore(root, { fs: await fsOf(backend) });
        await store.prepare();
        await store.deliver("waiting", { name: "w" });
        if (isRoot) {
          // Root ignores file modes: make the area read-only for real.
          execFileSync("mount", ["--bind", `${root}/new`, `${root}/new`]);
          mounted = true;
          execFileSync("mount", ["-o", "remount,ro,bind", `${root}/new`]);
        } else {
          nodeFs.chmodSync(`${root}/new`, 0o555);
        }
        const err = await store.deliver("x", { name: "d" }).catch((e) => e);
        assert.ok(err instanceof PermissionDeniedError, String(err));
        assert.match(
          err.message,
          /^Cannot deliver 'd': permission denied \((EROFS|EACCES)\)$/,
        );
        const claimErr = await store.claim().catch((e) => e);
        // A rename out of a read-only bind mount is refused as crossing
        // devices (EXDEV) before the read-only check: an IOError then.
        assert.ok(claimErr instanceof FileStoreError, String(claimErr));
        assert.match(
          claimErr.message,
          /^Cannot claim 'w': .*(EROFS|EACCES|EXDEV)/,
        );
        assert.deepEqual(await store.list("new"), [`${root}/new/w`]);
        assert.deepEqual(await store.list("cur"), []);
        assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
      } finally {
        if (mounted) execFileSync("umount", [`${root}/new`]);
        else nodeFs.chmodSync(`${root}/new`, 0o755);
        await cleanup();
      }
    });

    test("a symbolic link in new is never claimed or followed", () =>
      inTempDir(async (dir) => {
        const root = `${dir}/store`;
        const store = new FileStore(root, { fs: await fsOf(backend) });
        await store.prepare();
        nodeFs.writeFileSync(`${dir}/secret`, "outside");
        nodeFs.symlinkSync(`${dir}/secret`, `${root}/new/link`);
        assert.deepEqual(await store.list("new"), []);
        assert.equal(await store.claim(), null);
        assert.equal((await store.stats()).new.count, 0);
        assert.deepEqual(await store.recover({ olderThan: 0 }), []);
        assert.equal(nodeFs.readFileSync(`${dir}/secret`, "utf8"), "outside");
        assert.ok(nodeFs.lstatSync(`${root}/new/link`).isSymbolicLink());
      }));

    test("an area replaced by a symbolic link is refused before anything is written", () =>
      inTempDir(async (dir) => {
        const root = `${dir}/store`;
        const fs = await fsOf(backend);
        await new FileStore(root, { fs }).prepare();
        nodeFs.rmdirSync(`${root}/new`);
        nodeFs.mkdirSync(`${dir}/elsewhere`);
        nodeFs.symlinkSync(`${dir}/elsewhere`, `${root}/new`);
        const store = new FileStore(root, { fs });
        const err = await store.deliver("x").catch((e) => e);
        assert.ok(err instanceof NotADirectoryError, String(err));
        assert.match(err.message, /'new' is a symbolic link/);
        await assert.rejects(store.prepare(), NotADirectoryError);
        assert.deepEqual(nodeFs.readdirSync(`${dir}/elsewhere`), []);
        assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
      }));
  });
}

test("a user without root gets PermissionDeniedError from a read-only area", {
  skip: asNobody,
}, async () => {
  const { dir, cleanup } = tempDir();
  try {
    nodeFs.chmodSync(dir, 0o777);
    const root = `${dir}/store`;
    const nobody = (mode: string) => {
      const [cmd, args] = command("_worker", [mode, root]);
      return execFileSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args],
        { encoding: "utf8" },
      );
    };
    assert.equal(nobody("prepare"), "prepared\n");
    await new FileStore(root).deliver("waiting", { name: "w" });
    nodeFs.chmodSync(`${root}/new`, 0o555);
    nodeFs.chmodSync(`${root}/new/w`, 0o644);
    const outcome = JSON.parse(nobody("try"));
    assert.deepEqual(outcome, {
      deliver: { error: "PermissionDeniedError", code: "PERMISSION_DENIED" },
      claim: { error: "PermissionDeniedError", code: "PERMISSION_DENIED" },
    });
    const store = new FileStore(root);
    assert.deepEqual(await store.list("new"), [`${root}/new/w`]);
    assert.equal(text(await store.read("w", "new")), "waiting");
    assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
    assert.deepEqual(await store.list("cur"), []);
  } finally {
    await cleanup();
  }
});

test(
  "a producer that may not write wait gets PermissionDeniedError for a delay, and delivers at once",
  {
    skip: asNobody,
  },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      nodeFs.chmodSync(dir, 0o777);
      const root = `${dir}/store`;
      const store = new FileStore(root);
      await store.prepare();
      for (const area of ["tmp", "new", "cur"]) {
        nodeFs.chmodSync(`${root}/${area}`, 0o777);
      }
      // The consumers' own retry: wait and its directories are root's, 0755.
      await store.deliver("root's", { name: "r", delay: 60_000 });
      const [cmd, args] = command("_worker", ["try", root, "delay"]);
      const outcome = JSON.parse(execFileSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args],
        { encoding: "utf8" },
      ));
      assert.deepEqual(outcome, {
        delayed: { error: "PermissionDeniedError", code: "PERMISSION_DENIED" },
        now: { ok: "n" },
      });
      assert.deepEqual(nodeFs.readdirSync(`${root}/tmp`), []);
      assert.deepEqual(
        (await store.list("wait")).map((p) =>
          p.slice(p.lastIndexOf("/") + 1, p.indexOf("~"))
        ),
        ["r"],
      );
      assert.deepEqual(await store.list("new"), [`${root}/new/n`]);
    } finally {
      await cleanup();
    }
  },
);
