// What a store shares with the files and claims it hands out: the filesystem,
// the paths, the settings, and the few steps every operation is made of.
import type { Area, NameGenerator } from "./_names.ts";
import {
  AlreadyExistsError,
  FileStoreError,
  type FileStoreErrorOptions,
  NoSpaceError,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
  PermissionDeniedError,
  TooManyOpenFilesError,
} from "./errors.ts";
import type { FileHandle, FileSystem } from "./file_system.ts";

const encoder = new TextEncoder();

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

/**
 * How much a store does to make a change survive a power cut.
 *
 * @example
 * ```ts
 * import { type Durability, FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const durability: Durability = "file"; // fsync the data, not the directory
 * const store = new FileStore("/s", { fs: memoryFileSystem(), durability });
 * await store.prepare();
 * ```
 */
export type Durability = "full" | "file" | "none";

export interface Context {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly names: NameGenerator;
  readonly durability: Durability;
  readonly maxAttempts: number;
  readonly keep: boolean;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
  /** Called when a file goes back to `new`, so claim candidates are re-read. */
  readonly onReturn: () => void;
}

export function areaPath(ctx: Context, area: Area): string {
  return `${ctx.dir}/${area}`;
}

export function entryPath(ctx: Context, area: Area, entry: string): string {
  return `${ctx.dir}/${area}/${entry}`;
}

type ErrorClass = new (
  message: string,
  options?: FileStoreErrorOptions,
) => FileStoreError;

function nativeCode(err: FileStoreError): string {
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? ` (${code})` : "";
}

/** Why `err` happened, in words, about `subject` (an area-relative path). */
export function reason(err: FileStoreError, subject: string): string {
  if (err instanceof NotFoundError) return `'${subject}' does not exist`;
  if (err instanceof AlreadyExistsError) return `'${subject}' already exists`;
  if (err instanceof NotADirectoryError) {
    return `'${subject}' is not a directory`;
  }
  if (err instanceof NotAFileError) return `'${subject}' is not a regular file`;
  if (err instanceof PermissionDeniedError) {
    return `permission denied${nativeCode(err)}`;
  }
  if (err instanceof NoSpaceError) {
    return `no space left on the device${nativeCode(err)}`;
  }
  if (err instanceof TooManyOpenFilesError) {
    return `too many open files${nativeCode(err)}`;
  }
  return err.message;
}

/**
 * Rethrows a filesystem failure as the same class with a message that names
 * the operation, and the native error as cause. Anything else is rethrown
 * untouched.
 */
export function fail(err: unknown, what: string, subject: string): never {
  if (err instanceof FileStoreError) {
    const Class = err.constructor as ErrorClass;
    throw new Class(`${what}: ${reason(err, subject)}`, {
      cause: err.cause ?? err,
    });
  }
  throw err;
}

/** Runs a clean-up step whose failure must not hide the error at hand. */
export async function quietly(step: () => unknown): Promise<void> {
  try {
    await step();
  } catch {
    // the caller reports the first failure; clean() removes what is left
  }
}

/**
 * Gives `from` the name `to` without ever replacing a file at `to`: a hard
 * link, then the removal of the old name. Where the backend has no hard
 * links, a check then a rename (which a simultaneous publish of the same name
 * can defeat). Throws `AlreadyExistsError` if `to` exists, with nothing
 * changed. If the old name cannot be removed (or vanished because another
 * process moved it), the link is undone and that failure thrown.
 */
export async function publish(
  ctx: Context,
  from: string,
  to: string,
): Promise<void> {
  const fs = ctx.fs;
  if (!ctx.fs.capabilities.hardLinks) {
    let exists = true;
    try {
      await fs.lstat(to);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      exists = false;
    }
    if (exists) {
      throw new AlreadyExistsError(`'${to}' already exists`);
    }
    await fs.rename(from, to);
    return;
  }
  await fs.link(from, to);
  try {
    await fs.unlink(from);
  } catch (err) {
    // The old name could not go (or another process took it first): undo
    // the link, so the file keeps exactly one name, and report the failure.
    await quietly(() => fs.unlink(to));
    throw err;
  }
}

/** Fsyncs a directory when the durability asks for it and the backend can. */
export async function syncArea(
  ctx: Context,
  area: Area,
  durability: Durability = ctx.durability,
): Promise<void> {
  if (durability === "full" && ctx.fs.capabilities.syncDirectory) {
    await ctx.fs.syncDirectory(areaPath(ctx, area));
  }
}

/**
 * Fsyncs an area after a change that already took effect, when the
 * durability asks for it; a failure says so (`"<done> but cannot sync
 * '<area>'"`), so that nobody retries the change. Returns nothing (and costs
 * nothing) when there is nothing to sync.
 */
export function syncAfter(
  ctx: Context,
  area: Area,
  done: () => string,
  durability: Durability = ctx.durability,
): Promise<void> | undefined {
  if (durability !== "full" || !ctx.fs.capabilities.syncDirectory) return;
  return (async () => {
    try {
      await ctx.fs.syncDirectory(areaPath(ctx, area));
    } catch (err) {
      fail(err, `${done()} but cannot sync '${area}'`, area);
    }
  })();
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
 * Makes the dead-letter area if it is missing (it is made when first
 * needed); under durability `"full"` the store's directory is fsynced when
 * the area was new, so that its entry survives a power cut too.
 */
export async function makeDeadArea(ctx: Context): Promise<void> {
  try {
    await ctx.fs.mkdir(areaPath(ctx, "dead"));
  } catch (err) {
    if (err instanceof AlreadyExistsError) return;
    throw err;
  }
  if (ctx.durability === "full" && ctx.fs.capabilities.syncDirectory) {
    await ctx.fs.syncDirectory(ctx.dir);
  }
}
