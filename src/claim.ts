/**
 * A file taken from `new` by one consumer, as returned by
 * {@linkcode FileStore.claim}.
 *
 * @module
 */

import { removeClaimed } from "./_shared.ts";
import { type Context, entryPath } from "./_context.ts";
import { entryOf, reasonKeyOf } from "./_entry.ts";
import { dropReason, reasonText } from "./_reasons.ts";
import { failEntry, lost, returnEntry } from "./_fail.ts";
import { openForStream, streamFile } from "./_stream.ts";
import { syncAfter } from "./_sync.ts";
import { checkAge, MAX_DELAY } from "./_bounds.ts";
import { InvalidStateError } from "./errors.ts";
import type { Durability } from "./durability.ts";
import type { MaybePromise } from "./file_system.ts";

/** Options of {@linkcode Claim.done}. */
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

/** What {@linkcode Claim.fail} did with the file. */
export interface FailResult {
  /** Failed attempts so far, this one included. */
  readonly attempts: number;
  /** Whether the file went to the dead-letter area instead of back to `new`. */
  readonly dead: boolean;
  /** The file's full path now. */
  readonly path: string;
  /**
   * When the next attempt may start (milliseconds since the epoch): now for
   * an immediate retry, later for one that waits in `wait`; `null` for a
   * dead letter.
   */
  readonly due: number | null;
}

/** Options of {@linkcode Claim.fail}. */
export interface FailOptions {
  /**
   * Milliseconds before the next attempt (0: at once).
   *
   * @default {the store's backoff}
   */
  delay?: number;
}

const decoder = new TextDecoder();

type State = "held" | "done" | "released" | "failed";

let abort: (claim: Claim, reason: unknown) => void;
let reasonOf: (claim: Claim) => unknown;
let make: (
  ctx: Context,
  entry: string,
  name: string,
  attempts: number,
  maxAttempts: number,
  size: number | undefined,
) => Claim;

/**
 * A file this consumer holds: no other consumer can claim it until it is
 * finished with {@linkcode Claim.done}, returned with
 * {@linkcode Claim.release} or {@linkcode Claim.fail}, or recovered because
 * its holder died or its lease ran out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("job 1", { name: "job-1" });
 * const claim = await store.claim();
 * assert.ok(claim);
 * assert.equal(claim.name, "job-1");
 * assert.equal(await claim.text(), "job 1");
 * assert.ok(claim.entry.startsWith("job-1~0.c."));
 * await claim.done();
 * assert.equal(claim.held, false);
 * assert.deepEqual(await store.list("cur"), []);
 * ```
 */
export class Claim {
  #ctx!: Context;
  #name = "";
  #attempts = 0;
  #entry = "";
  #path: string | undefined;
  #maxAttempts = 0;
  // The size the claimer's lstat saw, if it saw a regular file.
  #size: number | undefined;
  #state: State = "held";
  #abort: AbortController | undefined;

  // Claims come from a store (claim(), claims(), claimed()), never from here.
  private constructor() {}

  static {
    abort = (claim, reason) =>
      (claim.#abort ??= new AbortController()).abort(reason);
    reasonOf = (claim) => claim.#abort?.signal.reason;
    make = (ctx, entry, name, attempts, max, size) => {
      const claim = new Claim();
      claim.#ctx = ctx;
      claim.#entry = entry;
      claim.#name = name;
      claim.#attempts = attempts;
      claim.#maxAttempts = max;
      claim.#size = size;
      return claim;
    };
  }

  /** The name the file was delivered under. */
  get name(): string {
    return this.#name;
  }

  /** Failed attempts before this claim. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The attempts after which `fail()` makes the file a dead letter. */
  get maxAttempts(): number {
    return this.#maxAttempts;
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

  /**
   * Reads the whole file.
   *
   * @returns The bytes.
   * @throws {ClaimLostError} The file left `cur`.
   */
  read(): Promise<Uint8Array> {
    // (no async frame: settles as soon as the backend's read does)
    try {
      const size = this.#size;
      const read = this.#ctx.fs.readFile(
        this.path,
        size === undefined ? undefined : { trustedSize: size },
      );
      if (read instanceof Promise) {
        return read.catch((err: unknown) =>
          lost(err, "read", this.#name, this.#entry)
        );
      }
      return Promise.resolve(read);
    } catch (err) {
      return this.#lost(err, "read");
    }
  }

  // A failure of `operation`, as the rejection lost() makes of it.
  #lost(err: unknown, operation: string): Promise<never> {
    try {
      lost(err, operation, this.#name, this.#entry);
    } catch (thrown) {
      return Promise.reject(thrown);
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
    return streamFile(
      () => openForStream(this.#ctx.fs, this.path),
      (err) => lost(err, "read", this.#name, this.#entry),
    );
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
      lost(err, "touch", this.name, this.#entry);
    }
  }

  /**
   * Finishes the claim: removes the file, or with `keep` leaves it in `cur`
   * marked finished (one rename).
   *
   * @param options Keep the file, durability.
   * @throws {ClaimLostError} The file left `cur` under this claim.
   * @throws {InvalidStateError} The claim was already finished or returned.
   */
  done(options: DoneOptions = {}): Promise<void> {
    // The common finish (removed, no reason to drop, no fsync, no shared
    // store) settles as soon as its unlink does, with no async frame.
    const ctx = this.#ctx;
    if (
      this.#state === "held" && !(options.keep ?? ctx.keep) && !ctx.shared &&
      reasonKeyOf(this.#entry) === undefined &&
      ((options.durability ?? ctx.durability) !== "full" ||
        !ctx.fs.capabilities.syncDirectory)
    ) {
      let removed: MaybePromise<void>;
      try {
        removed = ctx.fs.unlink(this.path);
      } catch (err) {
        return this.#lost(err, "finish");
      }
      if (removed instanceof Promise) {
        return removed.then(
          () => {
            this.#state = "done";
          },
          (err: unknown) => lost(err, "finish", this.#name, this.#entry),
        );
      }
      this.#state = "done";
      return Promise.resolve();
    }
    return this.#finish(options);
  }

  async #finish(options: DoneOptions): Promise<void> {
    this.#check("finish");
    const ctx = this.#ctx;
    try {
      if (options.keep ?? ctx.keep) {
        const finished = entryOf(
          this.name,
          this.attempts,
          "f",
          ctx.names.token(ctx.now()),
          reasonKeyOf(this.#entry),
        );
        await ctx.fs.rename(this.path, entryPath(ctx, "cur", finished));
        this.#entry = finished;
        this.#path = undefined;
      } else {
        await removeClaimed(ctx, this.path);
        // Its reason goes after it (PROTOCOL.md, "Reasons").
        await dropReason(ctx, reasonKeyOf(this.#entry));
      }
    } catch (err) {
      lost(err, "finish", this.name, this.#entry);
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
   * Returns the file to `new` with its attempt count unchanged, for another
   * consumer to take: one rename, under a name no other process makes.
   *
   * @throws {ClaimLostError} The file left `cur` under this claim.
   */
  async release(): Promise<void> {
    this.#check("release");
    // Settled once the rename is done, even if the fsync after it fails.
    await returnEntry(this.#ctx, this.#entry, this, this.attempts, {
      operation: "release",
      moved: () => (this.#state = "released"),
    });
  }

  /**
   * Gives up on the file for now, counting an attempt: once `maxAttempts`
   * failures are reached it moves to the dead-letter area `dead`; else it
   * waits in `wait` for its retry (the store's backoff, or `delay`), or goes
   * back to `new` at once when the wait is 0. Each is one rename.
   *
   * @param reason Why: kept with the file through its retries and into
   * `dead` (an `Error`'s message, else its text, up to
   * `MAX_REASON_BYTES`), shown by `entries()`; without one, the
   * file keeps the reason it had.
   * @param options The wait before the retry.
   * @returns The new attempt count, where the file went and when its retry
   * is due.
   * @throws {ClaimLostError} The file left `cur` under this claim.
   */
  async fail(
    reason?: unknown,
    options: FailOptions = {},
  ): Promise<FailResult> {
    this.#check("fail");
    const delay = options.delay === undefined
      ? undefined
      : checkAge(options.delay, "delay", MAX_DELAY);
    return await failEntry(
      this.#ctx,
      this.#entry,
      this,
      this.#maxAttempts,
      { operation: "fail", moved: () => (this.#state = "failed") },
      delay,
      reasonText(reason),
    );
  }

  /**
   * Aborted when the claim is lost (its lease could not be renewed), when
   * `consume()` stops (after its grace period), or when the handler's
   * `timeout` expires; `reason` says which.
   */
  get signal(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal;
  }

  /** Releases the claim if it is still held (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "held") await this.release();
  }
}

/** Wraps a claimed entry in a {@linkcode Claim}. */
export function newClaim(
  ctx: Context,
  entry: string,
  name: string,
  attempts: number,
  maxAttempts: number,
  size?: number,
): Claim {
  return make(ctx, entry, name, attempts, maxAttempts, size);
}

/**
 * Why a claim's `signal` was aborted, if it was: without making the signal
 * (an AbortController a claim, in a loop over many claims, costs Node tens
 * of MiB of resident memory).
 */
export function abortReason(claim: Claim): unknown {
  return reasonOf(claim);
}

/** Aborts a claim's `signal` (from the consume loop). */
export function abortClaim(claim: Claim, reason: unknown): void {
  abort(claim, reason);
}
