// CommonJS: on every Node line the package claims (and Bun), require() of
// the package's entries works, as the npm package's `require` condition
// promises: what is tested here is the same compiled output it ships.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { isDeno, runtime } from "./_backends.ts";

const skip = isDeno
  ? "the npm package's CommonJS entry: a test of the Node and Bun build"
  : undefined;

test(
  `require() of the package's entries works (${runtime})`,
  { skip },
  async () => {
    const require = createRequire(import.meta.url);
    const { FileStore } = require("../mod.js");
    const { memoryFileSystem } = require("../src/backends/memory.js");
    const store = new FileStore("/s", { fs: memoryFileSystem() });
    await store.prepare();
    await store.deliver("x", { name: "x" });
    const claim = await store.claim();
    assert.equal(claim.name, "x");
    await claim.done();
  },
);
