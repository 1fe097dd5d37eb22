/**
 * Tools for testing a store, and for testing a backend: a wrapper that makes
 * chosen calls of any backend fail or cuts the power after them
 * ({@linkcode faultyFileSystem}), and the contract of the filesystem
 * interface as a `node:test` suite ({@linkcode testFileSystem}).
 *
 * @example A store on a disk that fills up
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore, NoSpaceError } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 * import { faultyFileSystem } from "@filestore/filestore/testing";
 *
 * const fs = faultyFileSystem(memoryFileSystem(), {
 *   operation: "writeNewFile",
 *   error: "ENOSPC",
 * });
 * const store = new FileStore("/s", { fs, durability: "none" });
 * await store.prepare();
 * await assert.rejects(store.deliver("x"), NoSpaceError);
 * assert.deepEqual(await store.list("tmp"), []);
 * assert.equal(fs.tripped, true);
 * ```
 *
 * @module
 */

export {
  type FaultKind,
  type FaultOperation,
  type FaultPlan,
  type FaultyFileSystem,
  faultyFileSystem,
} from "./testing/faulty.ts";
export {
  type FileSystemSandbox,
  testFileSystem,
} from "./testing/test_file_system.ts";
