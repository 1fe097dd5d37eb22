/**
 * A file being written in the `tmp` area, as returned by
 * {@linkcode FileStore.create}.
 *
 * @module
 */

import { type Context, fail, quietly, toBytes } from "./_context.ts";
import { InvalidStateError } from "./errors.ts";
import type { FileHandle } from "./file_system.ts";
import type { FileStore as _FileStore } from "./store.ts";

/**
 * A file open for writing in `tmp`. Write to it, close it, then `move()` it
 * to `new` (or use `deliver()`, which does all of it in one call).
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * {
 *   await using f = await store.create("a-file");
 *   await f.write("Die Ente bleibt draussen!");
 * } // closed here
 * await store.move("a-file", "tmp", "new");
 * ```
 */
export class StoreFile {
  /** The file's name. */
  readonly name: string;
  /** The file's full path, in `tmp`. */
  readonly path: string;
  #ctx: Context;
  #handle: FileHandle | undefined;

  /**
   * Wraps an open handle; use {@linkcode FileStore.create} instead.
   *
   * @param ctx The store's context.
   * @param name The file's name.
   * @param handle The open handle.
   */
  constructor(ctx: Context, name: string, handle: FileHandle) {
    this.#ctx = ctx;
    this.name = name;
    this.path = `${ctx.dir}/tmp/${name}`;
    this.#handle = handle;
  }

  /** Whether the file is closed. */
  get closed(): boolean {
    return this.#handle === undefined;
  }

  /**
   * Appends data at the current position.
   *
   * @param data A string (written as UTF-8) or bytes.
   * @throws {InvalidStateError} The file is closed.
   * @throws {FileStoreError} The write failed (for example `NoSpaceError`).
   */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = toBytes(data, "Data");
    const handle = this.#open("write");
    try {
      await handle.write(bytes);
    } catch (err) {
      fail(err, `Cannot write '${this.name}' in 'tmp'`, `tmp/${this.name}`);
    }
  }

  /**
   * Closes the file; with durability `"file"` or `"full"` it is fsynced
   * first. Closing a closed file does nothing.
   *
   * @throws {FileStoreError} The fsync or the close failed; the file is
   * closed all the same.
   */
  async close(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    try {
      if (this.#ctx.durability !== "none") await handle.sync();
    } catch (err) {
      await quietly(() => handle.close());
      fail(err, `Cannot close '${this.name}' in 'tmp'`, `tmp/${this.name}`);
    }
    try {
      await handle.close();
    } catch (err) {
      fail(err, `Cannot close '${this.name}' in 'tmp'`, `tmp/${this.name}`);
    }
  }

  /** Closes the file (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #open(operation: string): FileHandle {
    if (this.#handle === undefined) {
      throw new InvalidStateError(
        `Cannot ${operation} '${this.name}' in 'tmp': the file is closed`,
      );
    }
    return this.#handle;
  }
}
