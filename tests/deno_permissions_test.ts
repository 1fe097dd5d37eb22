// Deno with the least permissions the README documents: the library works
// with read and write of the store alone, and says once what it loses
// without the host name or /proc; with them it says nothing. The CLI says
// why FILESTORE_DIR was not read without --allow-env.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { inTempDir, isDeno } from "./_backends.ts";

const skip = isDeno ? undefined : "Deno's permissions: a Deno test";
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

function deno(permissions: string[], script: string, args: string[], env = {}) {
  return spawnSync(
    process.execPath,
    ["run", "--no-prompt", "--quiet", ...permissions, script, ...args],
    { encoding: "utf8", env: { ...process.env, ...env } },
  );
}

test(
  "the library with read and write of the store only: works, and warns once per loss",
  { skip },
  () =>
    inTempDir((dir) => {
      const store = `${dir}/s`;
      const rw = [`--allow-read=${root},${dir}`, `--allow-write=${dir}`];
      const least = deno(rw, here("_permissions_worker.ts"), [store]);
      assert.equal(least.status, 0, least.stderr);
      assert.match(least.stdout, /\.localhost\n$/);
      const warnings = least.stderr.trim().split("\n");
      assert.deepEqual(warnings.length, 1, least.stderr);
      assert.match(
        warnings[0]!,
        /^filestore: Deno may not read the host name \(--allow-sys=hostname\)/,
      );
      const noProc = deno(
        [...rw, "--allow-sys=hostname"],
        here("_permissions_worker.ts"),
        [store],
      );
      assert.equal(noProc.status, 0, noProc.stderr);
      assert.doesNotMatch(noProc.stdout, /localhost/);
      assert.match(
        noProc.stderr,
        /^filestore: Deno may not read \/proc \(Deno allows it with --allow-all only\)/,
      );
      assert.equal(noProc.stderr.trim().split("\n").length, 1);
      const full = deno(
        ["--allow-all"],
        here("_permissions_worker.ts"),
        [store],
      );
      assert.equal(full.status, 0, full.stderr);
      assert.equal(full.stderr, "", "nothing lost, nothing said");
      return Promise.resolve();
    }),
);

test("the CLI without --allow-env says why FILESTORE_DIR was not read", {
  skip,
}, () =>
  inTempDir((dir) => {
    const cli = here("../src/cli/deno.ts");
    const r = deno([`--allow-read=${root},${dir}`], cli, ["stats"], {
      FILESTORE_DIR: dir,
    });
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /FILESTORE_DIR cannot be read without --allow-env=FILESTORE_DIR/,
    );
    const ok = deno(
      [
        `--allow-read=${root},${dir}`,
        `--allow-write=${dir}`,
        "--allow-env=FILESTORE_DIR",
        "--allow-sys=hostname",
        `--allow-read=/proc`,
      ],
      cli,
      ["prepare"],
      { FILESTORE_DIR: `${dir}/s` },
    );
    assert.equal(ok.status, 0, ok.stderr);
    return Promise.resolve();
  }));
