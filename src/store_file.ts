/**
 * A file being written in the `tmp` area, as returned by
 * {@linkcode FileStore.create}.
 *
 * @module
 */

import type { Context } from "./_context.ts";
import { quietly, rethrow } from "./_rethrow.ts";
import { toBytes } from "./_write.ts";
import { InvalidStateError } from "./errors.ts";
import type { FileHandle } from "./file_system.ts";

let make: (ctx: Context, name: string, handle: FileHandle) => StoreFile;

/**
 * A file open for writing in `tmp`. Write to it, close it, then `move()` it
 * to `new` (or use `deliver()`, which does all of it in one call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
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
 * assert.deepEqual(await store.list("new"), ["/s/new/a-file"]);
 * ```
 */
export class StoreFile {
  #ctx!: Context;
  #name = "";
  #path = "";
  #handle: FileHandle | undefined;

  // Files come from FileStore.create(), never from here.
  private constructor() {}

  static {
    make = (ctx, name, handle) => {
      const file = new StoreFile();
      file.#ctx = ctx;
      file.#name = name;
      file.#path = `${ctx.dir}/tmp/${name}`;
      file.#handle = handle;
      return file;
    };
  }

  /** The file's name. */
  get name(): string {
    return this.#name;
  }

  /** The file's full path, in `tmp`. */
  get path(): string {
    return this.#path;
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
      rethrow(err, `Cannot write '${this.name}' in 'tmp'`, `tmp/${this.name}`);
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
      rethrow(err, `Cannot close '${this.name}' in 'tmp'`, `tmp/${this.name}`);
    }
    try {
      await handle.close();
    } catch (err) {
      rethrow(err, `Cannot close '${this.name}' in 'tmp'`, `tmp/${this.name}`);
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

/** Wraps a handle open in `tmp` in a {@linkcode StoreFile}. */
export function newStoreFile(
  ctx: Context,
  name: string,
  handle: FileHandle,
): StoreFile {
  return make(ctx, name, handle);
}
