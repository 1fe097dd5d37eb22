// What FileStore's methods share and need not show: argument checks, the
// writing of a new file, and the waiting of a watching consumer.
import { areaPath, type Context, quietly, toBytes } from "./_context.ts";
import {
  AlreadyExistsError,
  FileStoreError,
  PartialDeliveryError,
} from "./errors.ts";
import type { FileHandle, FileSystem } from "./file_system.ts";
import type { BatchFile, DeliverData, Durability } from "./options.ts";

export const HOUR = 3_600_000;
export const encoder = new TextEncoder();

export function checkDurability(value: unknown): Durability {
  if (value !== "full" && value !== "file" && value !== "none") {
    throw new TypeError(
      `Invalid durability '${
        String(value)
      }': expected 'full', 'file' or 'none'`,
    );
  }
  return value;
}

export function checkCount(value: unknown, what: string, max: number): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < 1 ||
    value > max
  ) {
    throw new TypeError(
      `Invalid ${what} '${
        String(value)
      }': expected a whole number from 1 to ${max}`,
    );
  }
  return value;
}

export function checkAge(value: unknown, what: string): number {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new TypeError(
      `Invalid ${what} '${String(value)}': expected milliseconds, 0 or more`,
    );
  }
  return value;
}

export function isBytesSource(data: unknown): data is DeliverData {
  return typeof data === "string" || data instanceof Uint8Array ||
    (typeof data === "object" && data !== null &&
      Symbol.asyncIterator in data) ||
    (typeof ReadableStream !== "undefined" && data instanceof ReadableStream);
}

async function* chunksOf(
  data: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in data) {
    for await (const chunk of data as AsyncIterable<Uint8Array>) {
      yield toBytes(chunk, "A chunk of the stream");
    }
    return;
  }
  const reader = (data as ReadableStream<Uint8Array>).getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield toBytes(value, "A chunk of the stream");
    }
  } finally {
    reader.releaseLock();
  }
}

// How many files a batch delivery keeps open at once.
export const BATCH_OPEN = 128;

/**
 * Fsyncs a batch's files: all at once where the backend can run fsyncs off
 * the main thread (the filesystem then commits them together), one after
 * another otherwise. Waits for every fsync to settle, so that no file is
 * closed under one still running, then throws the first failure.
 */
export async function syncAll(handles: FileHandle[]): Promise<void> {
  if (!handles.every((h) => h.syncAsync)) {
    for (const h of handles) await h.sync();
    return;
  }
  const results = await Promise.allSettled(
    handles.map(async (h) => await h.syncAsync!()),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

export function isBatchFile(file: unknown): file is BatchFile {
  return typeof file === "object" && file !== null && "data" in file &&
    !(file instanceof Uint8Array) && !(Symbol.asyncIterator in file) &&
    !(typeof ReadableStream !== "undefined" && file instanceof ReadableStream);
}

// Writes `data` into the new file `path`; with `sync`, fsyncs it. With
// `keepOpen` the handle is returned open (for a later fsync) instead of
// closed. On failure the file is removed.
export async function write(
  fs: FileSystem,
  path: string,
  data: DeliverData,
  sync: boolean,
  keepOpen: boolean,
): Promise<FileHandle | undefined> {
  if (
    !keepOpen && !sync &&
    (typeof data === "string" || data instanceof Uint8Array)
  ) {
    // One call where the runtime has it: create, write, close.
    try {
      await fs.writeNewFile(
        path,
        typeof data === "string" ? encoder.encode(data) : data,
      );
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) {
        await quietly(() => fs.unlink(path));
      }
      throw err;
    }
    return undefined;
  }
  const handle = await fs.open(path, { write: true, createNew: true });
  try {
    if (typeof data === "string" || data instanceof Uint8Array) {
      await handle.write(
        typeof data === "string" ? encoder.encode(data) : data,
      );
    } else {
      for await (const chunk of chunksOf(data)) await handle.write(chunk);
    }
    if (sync) await handle.sync();
    if (keepOpen) return handle;
    await handle.close();
    return undefined;
  } catch (err) {
    await quietly(() => handle.close());
    await quietly(() => fs.unlink(path));
    throw err;
  }
}

export function partial(
  err: unknown,
  name: string,
  delivered: string[],
): Error {
  const reason = err instanceof FileStoreError ? err.message : String(err);
  return new PartialDeliveryError(
    `Cannot deliver '${name}' after ${delivered.length} of the batch: ${reason}`,
    {
      cause: err instanceof FileStoreError ? err.cause ?? err : err,
      delivered: [...delivered],
    },
  );
}

// Wakes a waiting consumer when `new` changes, when the poll interval is
// over, or when the signal aborts, whichever comes first.
export class Waiter {
  #stop = new AbortController();
  #pending = false;
  #wake: (() => void) | undefined;
  #poll: number;

  constructor(ctx: Context, poll: number, signal: AbortSignal | undefined) {
    this.#poll = poll;
    const onAbort = (): void => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#stop.signal.addEventListener(
      "abort",
      () => signal?.removeEventListener("abort", onAbort),
      { once: true },
    );
    if (ctx.fs.capabilities.watch && ctx.fs.watch) {
      const events = ctx.fs.watch(areaPath(ctx, "new"), this.#stop.signal);
      (async () => {
        for await (const _ of events) this.#notify();
      })().catch(() => {
        // Watching failed (for example too many watches): polling remains.
      });
    }
  }

  #notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async wait(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    if (!this.#pending) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, this.#poll);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    this.#pending = false;
  }

  close(): void {
    this.#stop.abort();
    this.#wake?.();
  }
}
