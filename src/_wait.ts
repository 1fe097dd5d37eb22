// The layout of `wait` (PROTOCOL.md, "The layout of wait"): a waiting file
// is in the directory of its due time, `wait/HI/LO/ENTRY`, so that a listing
// for what is due reads the directories whose time has come and nothing of
// the files that wait for later. Here: the rename into that directory (made
// when first needed) and the listing of all of `wait` for stats and lists.
import { type Context, directoryOptions, entryPath } from "./_context.ts";
import { bucketStart, waitBucket } from "./_entry.ts";
import { rethrow } from "./_rethrow.ts";
import { syncPath } from "./_sync.ts";
import type { DirEntry } from "./file_system.ts";
import { AlreadyExistsError, NotFoundError } from "./errors.ts";
import type { Durability } from "./durability.ts";

/** The directory of `wait` that holds the files due at `due`. */
export function bucketPath(ctx: Context, due: number): string {
  return `${ctx.dir}/wait/${waitBucket(due)}`;
}

/**
 * Renames `from` to `wait/HI/LO/<entry>` for a file due at `due`. "Not
 * found" with the directory missing makes it (with `wait` and `HI`; under
 * durability `"full"` each new directory's parent is synced) and tries once
 * more; with the directory there it means `from` is gone, and is thrown.
 * Returns the path.
 */
export async function renameIntoWait(
  ctx: Context,
  from: string,
  entry: string,
  due: number,
): Promise<string> {
  const path = entryPath(ctx, "wait", entry);
  const dir = bucketPath(ctx, due);
  // A promoter removes a directory it emptied: a few rounds at most.
  for (let tries = 1;; tries++) {
    try {
      await ctx.fs.rename(from, path);
      return path;
    } catch (err) {
      if (!(err instanceof NotFoundError) || tries === 4) throw err;
      if (!(await makeBucket(ctx, dir))) throw err;
    }
  }
}

/**
 * Makes `dir` (`wait/HI/LO`) if it is missing, one level at a time so that
 * each gets the store's mode; false when it was there.
 */
async function makeBucket(ctx: Context, dir: string): Promise<boolean> {
  try {
    if ((await ctx.fs.lstat(dir)).isDirectory) return false;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const wait = `${ctx.dir}/wait`;
  const hi = dir.slice(0, dir.lastIndexOf("/"));
  const full = ctx.durability === "full" && ctx.fs.capabilities.syncDirectory;
  // Each new directory's entry is synced in its parent: S, wait, HI.
  for (const [path, parent] of [[wait, ctx.dir], [hi, wait], [dir, hi]]) {
    try {
      await ctx.fs.mkdir(path!, directoryOptions(ctx));
    } catch (err) {
      if (err instanceof AlreadyExistsError) continue;
      // A promoter removed `HI` meanwhile: the caller tries again.
      if (err instanceof NotFoundError) return true;
      throw err;
    }
    if (full) await ctx.fs.syncDirectory(parent!);
  }
  return true;
}

/** Fsyncs the directory of `wait` that holds the files due at `due`. */
export function syncBucket(
  ctx: Context,
  due: number,
  durability: Durability = ctx.durability,
): Promise<void> {
  return syncPath(ctx, bucketPath(ctx, due), durability);
}

/** A directory of `wait` named as a level of the layout, and a real one. */
export function isBucket(e: DirEntry, level: 0 | 1): boolean {
  return e.isDirectory && !e.isSymlink &&
    bucketStart(e.name, level) !== undefined;
}

/**
 * Lists `path` (a directory inside `wait`) in one call, after checking that
 * it is a directory and no link; a directory gone meanwhile lists empty.
 */
export async function listBucket(
  ctx: Context,
  path: string,
  what: string,
): Promise<DirEntry[]> {
  try {
    if (!(await ctx.fs.lstat(path)).isDirectory) return [];
    return await ctx.fs.readDir(path);
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    rethrow(err, what, path.slice(ctx.dir.length + 1));
  }
}

/**
 * The entries in the directories of `wait`, as a listing of the area shows
 * them: a file is shown as one only where {@linkcode entryPath} finds it
 * (one put into the wrong directory is shown as no file, and is moved to its
 * place when it is looked at for being due). Top-level entries other than
 * the directories of the layout come as they are.
 */
export async function* scanBuckets(
  ctx: Context,
  top: Iterable<DirEntry>,
  what: string,
): AsyncIterable<DirEntry[]> {
  const root = `${ctx.dir}/wait`;
  const rest: DirEntry[] = [];
  const his: string[] = [];
  for (const e of top) {
    if (isBucket(e, 0)) his.push(e.name);
    else rest.push(placed(ctx, e, root));
  }
  if (rest.length) yield rest;
  for (const hi of his) {
    for (const lo of await listBucket(ctx, `${root}/${hi}`, what)) {
      if (!isBucket(lo, 1)) {
        yield [placed(ctx, lo, `${root}/${hi}`)];
        continue;
      }
      const dir = `${root}/${hi}/${lo.name}`;
      const entries = await listBucket(ctx, dir, what);
      if (entries.length) yield entries.map((e) => placed(ctx, e, dir));
    }
  }
}

/** `e` as listed in `dir`: a file only where entryPath() finds it. */
function placed(ctx: Context, e: DirEntry, dir: string): DirEntry {
  if (!e.isFile || entryPath(ctx, "wait", e.name) === `${dir}/${e.name}`) {
    return e;
  }
  return { name: e.name, isFile: false, isDirectory: false, isSymlink: false };
}
