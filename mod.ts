/**
 * A file queue in a directory: many processes hand files to each other
 * safely and without locks. A writer creates a file in `tmp` and publishes it
 * to `new` in one atomic step; a reader sees only complete files in `new` and
 * takes one by moving it to `cur`. The maildir rules of qmail, the API of
 * Python's gocept.filestore, and what a real queue needs on top: unique
 * names, durable delivery, exactly-once claims, retries with a dead-letter
 * area, crash recovery.
 *
 * @example A producer and a consumer
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * // On a disk: new FileStore("/var/spool/jobs") picks the runtime's backend.
 * const store = new FileStore("/jobs", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver(JSON.stringify({ to: "duck@example.org" }));
 * const seen: string[] = [];
 * const result = await store.consume(async (claim) => {
 *   seen.push(JSON.parse(await claim.text()).to);
 * });
 * assert.equal(result.handled, 1);
 * assert.deepEqual(seen, ["duck@example.org"]);
 * ```
 *
 * @module
 */

export { FileStore } from "./src/store.ts";
export * from "./src/options.ts";
export type * from "./src/details.ts";
export type { Durability } from "./src/durability.ts";
export {
  Claim,
  type DoneOptions,
  type FailOptions,
  type FailResult,
} from "./src/claim.ts";
export { StoreFile } from "./src/store_file.ts";
export { describeFailure } from "./src/report.ts";
export * from "./src/errors.ts";
export * from "./src/file_system.ts";
export {
  type Area,
  AREAS,
  MAX_NAME_BYTES,
  MAX_REASON_BYTES,
} from "./src/areas.ts";
