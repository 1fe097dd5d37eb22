/**
 * The layout of a store: its areas and the limits of the names in them
 * (PROTOCOL.md, sections 1 and 2).
 *
 * @module
 */

/**
 * The areas a store has: `tmp` (being written), `new` (ready), `cur`
 * (claimed, or finished and kept), `wait` (delayed deliveries and retries
 * that are not due yet) and `dead` (dead letters); `wait` and `dead` are
 * made when first needed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AREAS } from "@filestore/filestore";
 * assert.deepEqual(AREAS, ["tmp", "new", "cur", "wait", "dead"]);
 * ```
 */
export const AREAS = ["tmp", "new", "cur", "wait", "dead"] as const;

/** One of the store's areas. */
export type Area = typeof AREAS[number];

/** The most bytes a filesystem allows in one name. */
export const MAX_ENTRY_BYTES = 255;

/**
 * The most UTF-8 bytes a name given to `create` or `deliver` may have: a
 * filesystem name has at most 255 bytes, and 55 are kept for the suffix the
 * queue protocol appends (`~A.w.DUE.PID.HOST.TIME.SEQ` at its longest).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore, InvalidNameError, MAX_NAME_BYTES } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("fits", { name: "x".repeat(MAX_NAME_BYTES) });
 * await assert.rejects(
 *   store.deliver("too long", { name: "x".repeat(MAX_NAME_BYTES + 1) }),
 *   InvalidNameError,
 * );
 * ```
 */
export const MAX_NAME_BYTES: number = 200;

/**
 * The most bytes (UTF-8) of a failure reason the store keeps with a file
 * (`Claim.fail(reason)`): a longer one is cut at a character and ends in
 * `…`.
 */
export const MAX_REASON_BYTES: number = 4096;
