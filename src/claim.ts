/**
 * A file taken from `new` by one consumer, as returned by
 * {@linkcode FileStore.claim}.
 *
 * @module
 */

import {
  type Context,
  type Durability,
  entryPath,
  fail,
  makeDeadArea,
  publish,
  syncAfter,
} from "./_context.ts";
import { type EntryInfo, ownedEntry, waitingEntry } from "./_names.ts";
import { ClaimLostError, InvalidStateError, NotFoundError } from "./errors.ts";
import type { FileStore as _FileStore } from "./store.ts";

/**
 * Options of {@linkcode Claim.done}.
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * const claim = await store.claim();
 * await claim!.done({ keep: true, durability: "full" });
 * console.log((await store.list("cur")).length); // 1
 * ```
 */
export interface DoneOptions {
  /**
   * Keep the finished file in `cur`, marked finished, instead of removing
   * it. Recovery never touches a finished file.
   *
   * @default {the store's `keep` option}
   */
  keep?: boolean;
  /**
   * How much to do so that the finish survives a power cut.
   *
   * @default {the store's durability}
   */
  durability?: Durability;
}

/**
 * What {@linkcode Claim.fail} did with the file.
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x");
 * const claim = await store.claim();
 * const { attempts, dead, path } = await claim!.fail(new Error("not now"));
 * console.log(attempts, dead, path.includes("/new/")); // 1 false true
 * ```
 */
export interface FailResult {
  /** Failed attempts so far, this one included. */
  readonly attempts: number;
  /** Whether the file went to the dead-letter area instead of back to `new`. */
  readonly dead: boolean;
  /** The file's full path now. */
  readonly path: string;
}

const decoder = new TextDecoder();
const CHUNK = 64 * 1024;

type State = "held" | "done" | "released" | "failed";

/**
 * A file this consumer holds: no other consumer can claim it until it is
 * finished with {@linkcode Claim.done}, returned with
 * {@linkcode Claim.release} or {@linkcode Claim.fail}, or recovered because
 * its holder died.
 *
 * @example
 * ```ts
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("job 1", { name: "job-1" });
 * const claim = await store.claim();
 * if (claim) {
 *   console.log(claim.name, await claim.text()); // "job-1" "job 1"
 *   await claim.done();
 * }
 * ```
 */
export class Claim {
  /** The name the file was delivered under. */
  readonly name: string;
  /** Failed attempts before this claim. */
  readonly attempts: number;
  #ctx: Context;
  #entry: string;
  #path: string | undefined;
  #owner: string;
  #maxAttempts: number;
  #state: State = "held";

  /**
   * Wraps a claimed entry; use {@linkcode FileStore.claim} instead.
   *
   * @param ctx The store's context.
   * @param entry The entry's name in `cur`.
   * @param info The parsed entry, with its owner token.
   * @param maxAttempts Failures before the file becomes a dead letter.
   */
  constructor(
    ctx: Context,
    entry: string,
    info: EntryInfo,
    maxAttempts: number,
  ) {
    this.#ctx = ctx;
    this.name = info.name;
    this.attempts = info.attempts;
    this.#entry = entry;
    this.#owner = info.owner ?? "";
    this.#maxAttempts = maxAttempts;
  }

  /** The file's name in `cur`, with the protocol's suffix. */
  get entry(): string {
    return this.#entry;
  }

  /** The full path of the file's bytes, in `cur`. */
  get path(): string {
    return this.#path ??= entryPath(this.#ctx, "cur", this.#entry);
  }

  /** Whether the claim is still held (not finished, released or failed). */
  get held(): boolean {
    return this.#state === "held";
  }

  #check(operation: string): void {
    if (this.#state !== "held") {
      throw new InvalidStateError(
        `Cannot ${operation} '${this.name}': the claim is already ${this.#state}`,
      );
    }
  }

  #lost(err: unknown, operation: string): never {
    if (err instanceof NotFoundError) {
      throw new ClaimLostError(
        `Cannot ${operation} '${this.name}': 'cur/${this.#entry}' is gone (recovered by another process?)`,
        { cause: err.cause ?? err },
      );
    }
    fail(err, `Cannot ${operation} '${this.name}'`, `cur/${this.#entry}`);
  }

  /**
   * Reads the whole file.
   *
   * @returns The bytes.
   * @throws {ClaimLostError} The file left `cur`.
   */
  async read(): Promise<Uint8Array> {
    try {
      return await this.#ctx.fs.readFile(this.path);
    } catch (err) {
      this.#lost(err, "read");
    }
  }

  /**
   * Reads the whole file as UTF-8 text.
   *
   * @returns The text.
   * @throws {ClaimLostError} The file left `cur`.
   */
  async text(): Promise<string> {
    return decoder.decode(await this.read());
  }

  /**
   * Streams the file in chunks of 64 KiB, for files too large to hold in
   * memory.
   *
   * @returns A stream of the file's bytes.
   */
  stream(): ReadableStream<Uint8Array> {
    const fs = this.#ctx.fs;
    const path = this.path;
    let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          handle ??= await fs.open(path, { read: true });
          const buffer = new Uint8Array(CHUNK);
          const n = await handle.read(buffer);
          if (n === 0) {
            await handle.close();
            controller.close();
          } else {
            controller.enqueue(buffer.subarray(0, n));
          }
        } catch (err) {
          try {
            this.#lost(err, "read");
          } catch (wrapped) {
            controller.error(wrapped);
          }
        }
      },
      cancel: async () => {
        await handle?.close();
      },
    });
  }

  /**
   * Renews the claim, so that `recover()` does not take it back from a
   * handler that runs long.
   *
   * @throws {ClaimLostError} The file left `cur`.
   */
  async touch(): Promise<void> {
    this.#check("touch");
    const now = this.#ctx.now();
    try {
      await this.#ctx.fs.utime(this.path, now, now);
    } catch (err) {
      this.#lost(err, "touch");
    }
  }

  /**
   * Finishes the claim: removes the file, or with `keep` leaves it in `cur`
   * marked finished.
   *
   * @param options Keep the file, durability.
   * @throws {ClaimLostError} The file left `cur` under this claim.
   * @throws {InvalidStateError} The claim was already finished or returned.
   */
  async done(options: DoneOptions = {}): Promise<void> {
    this.#check("finish");
    const ctx = this.#ctx;
    try {
      if (options.keep ?? ctx.keep) {
        const finished = ownedEntry(this.name, this.attempts, "f", this.#owner);
        await ctx.fs.rename(this.path, entryPath(ctx, "cur", finished));
        this.#entry = finished;
        this.#path = undefined;
      } else {
        await ctx.fs.unlink(this.path);
      }
    } catch (err) {
      this.#lost(err, "finish");
    }
    this.#state = "done";
    await syncAfter(
      ctx,
      "cur",
      () => `Finished '${this.name}'`,
      options.durability,
    );
  }

  /**
   * Returns the file to `new` untouched (its attempt count unchanged), for
   * another consumer to take.
   *
   * @throws {ClaimLostError} The file left `cur` under this claim.
   * @throws {AlreadyExistsError} A file of the same name is waiting in `new`;
   * the claim stays held.
   */
  async release(): Promise<void> {
    this.#check("release");
    await this.#return(this.attempts, "release");
  }

  /**
   * Gives up on the file: returns it to `new` with its attempt count raised,
   * or, once `maxAttempts` failures are reached, moves it to the dead-letter
   * area `dead`.
   *
   * @param _reason Why (for the caller's logs; not stored).
   * @returns The new attempt count and where the file went.
   * @throws {ClaimLostError} The file left `cur` under this claim.
   */
  async fail(_reason?: unknown): Promise<FailResult> {
    this.#check("fail");
    const attempts = this.attempts + 1;
    if (attempts >= this.#maxAttempts) {
      return { attempts, dead: true, path: await this.#bury(attempts) };
    }
    return {
      attempts,
      dead: false,
      path: await this.#return(attempts, "fail"),
    };
  }

  async #return(attempts: number, operation: string): Promise<string> {
    const ctx = this.#ctx;
    const target = entryPath(ctx, "new", waitingEntry(this.name, attempts));
    try {
      await publish(ctx, this.path, target);
    } catch (err) {
      this.#lost(err, operation);
    }
    // Settled from here on, even if the fsync below fails.
    this.#state = operation === "release" ? "released" : "failed";
    ctx.onReturn();
    await syncAfter(ctx, "new", () => `Did ${operation} '${this.name}'`);
    return target;
  }

  async #bury(attempts: number): Promise<string> {
    const ctx = this.#ctx;
    const target = entryPath(
      ctx,
      "dead",
      ownedEntry(this.name, attempts, "d", this.#owner),
    );
    try {
      try {
        await ctx.fs.rename(this.path, target);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // Either the dead-letter area does not exist yet, or the claim is
        // gone: make the area, then try once more to tell which.
        await makeDeadArea(ctx);
        await ctx.fs.rename(this.path, target);
      }
    } catch (err) {
      this.#lost(err, "fail");
    }
    this.#state = "failed";
    await syncAfter(ctx, "dead", () => `Did fail '${this.name}'`);
    return target;
  }

  /** Releases the claim if it is still held (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "held") await this.release();
  }
}
