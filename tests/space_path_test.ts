// A checkout whose path has a space and a non-ASCII character: this suite's
// own files are copied to such a directory and its CLI tests (which start
// the CLI and workers by path, found from import.meta.url) run there. (The
// whole test task passes in such a clone too: see the closing note.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { inTempDir, isDeno, runtime } from "./_backends.ts";

// The directory this file's tree starts at: the checkout under Deno, the
// compiled tests (build/node-test) under Node and Bun.
const tree = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

test(`a copy in a path with a space and a non-ASCII character works (${runtime})`, () =>
  inTempDir((dir) => {
    const copy = `${dir}/a checkout é`;
    for (
      const part of [
        "deno.json",
        "package.json",
        "mod.ts",
        "mod.js",
        "src",
        "tests",
        "scripts",
      ]
    ) {
      if (nodeFs.existsSync(`${tree}/${part}`)) {
        nodeFs.cpSync(`${tree}/${part}`, `${copy}/${part}`, {
          recursive: true,
        });
      }
    }
    const suite = `${copy}/tests/cli_e2e_test${ext}`;
    const args = isDeno
      ? ["test", "-A", "--quiet", suite]
      : runtime === "bun"
      ? ["test", suite]
      : ["--test", suite];
    const run = spawnSync(process.execPath, args, {
      cwd: copy,
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    return Promise.resolve();
  }));
