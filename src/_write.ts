// Writing a new file in `tmp` (PROTOCOL.md, Deliver steps 2 and 3): the
// bytes of every kind of content, one call where the backend has it, fsyncs
// for a batch together.
import { quietly } from "./_rethrow.ts";
import { AlreadyExistsError } from "./errors.ts";
import type { FileHandle, FileSystem } from "./file_system.ts";
import type { DeliverData } from "./options.ts";

const encoder = new TextEncoder();

/** How many files a batch delivery keeps open at once. */
export const BATCH_OPEN = 128;

/** Turns a string into UTF-8 and checks that bytes are bytes. */
export function toBytes(data: unknown, what: string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(
    `${what} must be a string or a Uint8Array, got ${
      data === null ? "null" : typeof data
    }`,
  );
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

/** The bytes of an open file, in chunks of 64 KiB, from where it stands. */
export async function* chunksFrom(
  handle: FileHandle,
): AsyncIterable<Uint8Array> {
  while (true) {
    const buffer = new Uint8Array(64 * 1024);
    const n = await handle.read(buffer);
    if (n === 0) return;
    yield buffer.subarray(0, n);
  }
}

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

/**
 * Writes `data` into the new file `path`; with `sync`, fsyncs it. With
 * `keepOpen` the handle is returned open (for a later fsync) instead of
 * closed. On failure the file is removed, unless it was somebody else's
 * (`AlreadyExistsError`).
 */
export async function write(
  fs: FileSystem,
  path: string,
  data: DeliverData,
  sync: boolean,
  keepOpen: boolean,
  mode: number | undefined,
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
        mode,
      );
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) {
        await quietly(() => fs.unlink(path));
      }
      throw err;
    }
    return undefined;
  }
  const handle = await fs.open(path, {
    write: true,
    createNew: true,
    ...(mode === undefined ? {} : { mode }),
  });
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
