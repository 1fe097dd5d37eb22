// A file's bytes as a stream of 64 KiB chunks, opened only as a regular file
// (never through a link, never a FIFO), for files too large to hold whole.
import type { FileHandle, FileSystem, MaybePromise } from "./file_system.ts";

const CHUNK = 64 * 1024;

/** Opens `path` for a stream: only a regular file, never through a link. */
export function openForStream(
  fs: FileSystem,
  path: string,
): MaybePromise<FileHandle> {
  return fs.open(path, { read: true, regularOnly: true });
}

/**
 * Streams what `open` opens; a failure is passed through `fail`, which
 * throws the error the reader sees.
 */
export function streamFile(
  open: () => MaybePromise<FileHandle>,
  fail: (err: unknown) => never,
): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        handle ??= await open();
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
          fail(err);
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
