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
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * // On a disk: new FileStore("/var/spool/jobs") picks the runtime's backend.
 * const store = new FileStore("/jobs", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver(JSON.stringify({ to: "duck@example.org" }));
 * const result = await store.consume(async (claim) => {
 *   console.log(JSON.parse(await claim.text()).to);
 * });
 * console.log(result.handled); // 1
 * ```
 *
 * @module
 */

export * from "./src/store.ts";
export * from "./src/options.ts";
export * from "./src/claim.ts";
export * from "./src/store_file.ts";
export * from "./src/errors.ts";
export * from "./src/file_system.ts";
export { AREAS, MAX_NAME_BYTES } from "./src/_names.ts";
