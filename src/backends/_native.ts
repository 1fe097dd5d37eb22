// What the Deno and Node backends share: their options, the one table that
// turns a native filesystem failure into a filestore error, the process
// scope and process state read from Linux's /proc, and reading a whole file
// with few calls. Both runtimes put the POSIX error name in `code`.
import { FileStoreError, IOError } from "../errors.ts";
import { BY_CODE } from "../_error_classes.ts";

/** Runs one native call; a failure becomes a filestore error. */
export function call<T>(operation: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNativeError(err, operation, path);
  }
}

/** How a backend reads Linux's /proc; each throws where it cannot. */
export interface ProcReader {
  text(path: string): string;
  link(path: string): string;
  /** Whether `path` is missing (the error of a failed `text`). */
  missing(err: unknown): boolean;
}

/** What a backend knows of the processes its pids speak of. */
export interface ProcessView {
  /** Whether /proc could be read (liveness and scope are known). */
  readable: boolean;
  /** The boot id and the pid namespace; undefined where /proc is not read. */
  readonly scope: string | undefined;
  /** Whether a pid of this host is alive; undefined where it cannot tell. */
  alive(pid: number): boolean | undefined;
}

/**
 * Reads the boot id and the pid namespace of this process. Liveness is told
 * only where /proc belongs to the process's own pid namespace (`/proc/self`
 * is its pid): elsewhere a pid would name another process.
 */
export function processView(proc: ProcReader, pid: number): ProcessView {
  let scope: string | undefined;
  let own = false;
  try {
    scope = `${proc.text("/proc/sys/kernel/random/boot_id").trim()}/${
      proc.link("/proc/self/ns/pid")
    }`;
    own = proc.link("/proc/self") === String(pid);
  } catch {
    // not Linux, or not allowed to read /proc
  }
  return {
    scope,
    readable: own,
    alive(other: number): boolean | undefined {
      if (!own) return undefined;
      let stat: string;
      try {
        stat = proc.text(`/proc/${other}/stat`);
      } catch (err) {
        return proc.missing(err) ? false : undefined;
      }
      return processRuns(stat);
    },
  };
}

/**
 * Translates a native error thrown by a filesystem call into a filestore
 * error whose cause is the native error. Errors that are already filestore
 * errors, and anything that is not an `Error`, pass through untouched.
 */
export function fromNativeError(
  err: unknown,
  operation: string,
  path: string,
): unknown {
  if (err instanceof FileStoreError) return err;
  if (!(err instanceof Error)) return err;
  // Deno reports a closed file as BadResource, without a code.
  const code = "code" in err
    ? String((err as { code: unknown }).code)
    : err.name === "BadResource"
    ? "EBADF"
    : undefined;
  if (code === undefined) return err;
  const Class = BY_CODE[code] ?? IOError;
  return new Class(`${operation} '${path}' failed: ${code}`, { cause: err });
}

/**
 * Reads the state field of a Linux `/proc/<pid>/stat` line: a zombie (`Z`)
 * or dead (`X`) process has ended even if its parent has not reaped it yet.
 */
function processRuns(stat: string): boolean {
  const state = stat.slice(
    stat.lastIndexOf(")") + 2,
    stat.lastIndexOf(")") + 3,
  );
  return state !== "Z" && state !== "X";
}

/**
 * Reads a whole regular file of `size` bytes (from its fstat) through `read`
 * (bytes read into the buffer from `at`, 0 at the end), into memory of about
 * its size: one read when the file did not grow meanwhile.
 */
export function readAll(
  size: number,
  read: (buffer: Uint8Array, at: number) => number,
): Uint8Array {
  // One byte more than the size: a read that fills less is the end.
  let buffer = new Uint8Array(size + 1);
  let at = 0;
  while (true) {
    const n = read(buffer, at);
    if (n === 0) break;
    at += n;
    // A short read of a regular file is its end.
    if (at < buffer.length) break;
    // It grew while being read: make room and go on.
    const bigger = new Uint8Array(buffer.length * 2);
    bigger.set(buffer);
    buffer = bigger;
  }
  return buffer.subarray(0, at);
}
