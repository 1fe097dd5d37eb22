// The one listing of an area that every operation uses (list, walk, claim,
// recover, clean, stats), with the one fallback for backends without
// `scanDir`.
import type { Area } from "./areas.ts";
import { areaPath, type Context } from "./_context.ts";
import { rethrow } from "./_rethrow.ts";
import { NotADirectoryError, NotFoundError } from "./errors.ts";
import type { DirEntry } from "./file_system.ts";
import { scanBuckets } from "./_wait.ts";

const BATCH = 256;

/** Whether a listing shows an entry: a regular file, not a dotfile. */
export function listed(e: DirEntry): boolean {
  return e.isFile && e.name[0] !== ".";
}

/**
 * The entries of an area, in directory order, in batches (one await per
 * batch, not per entry), read as a stream where the backend can so that
 * memory stays flat. `wait` and `dead` list empty until they exist. A
 * failure is thrown as `what` about the area.
 *
 * With `whole`, the backend's `readDir` gives the area in one batch: for a
 * caller that keeps every entry anyway (list()), one call is cheaper than
 * a stream.
 */
export async function* scanArea(
  ctx: Context,
  area: Area,
  what: string,
  whole = false,
): AsyncIterable<DirEntry[]> {
  if (area === "wait") {
    // The directories of due times, and what is in them (see _wait.ts).
    yield* scanBuckets(ctx, await listTop(ctx, area, what), what);
    return;
  }
  const fs = ctx.fs;
  const path = areaPath(ctx, area);
  // An area swapped for a link after the store was opened is refused at its
  // next listing (the trust model keeps all but the store's owners from
  // doing it: PROTOCOL.md, section 1).
  let link = false;
  try {
    link = (await fs.lstat(path)).isSymlink;
  } catch {
    // missing: the listing below says so
  }
  if (link) {
    throw new NotADirectoryError(`${what}: '${area}' is a symbolic link`);
  }
  try {
    if (whole || !fs.scanDir) {
      yield await fs.readDir(path);
      return;
    }
    const entries = fs.scanDir(path);
    let batch: DirEntry[] = [];
    if (Symbol.iterator in entries) {
      for (const e of entries) {
        if (batch.push(e) === BATCH) {
          yield batch;
          batch = [];
        }
      }
    } else {
      for await (const e of entries) {
        if (batch.push(e) === BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length) yield batch;
  } catch (err) {
    if (area === "dead" && err instanceof NotFoundError) {
      return;
    }
    rethrow(err, what, area);
  }
}

/**
 * The top of an area in one listing (for `wait`, whose top holds the
 * directories of its layout), checked like {@linkcode scanArea}'s.
 */
export async function listTop(
  ctx: Context,
  area: "wait",
  what: string,
): Promise<DirEntry[]> {
  const path = areaPath(ctx, area);
  let link = false;
  try {
    link = (await ctx.fs.lstat(path)).isSymlink;
  } catch {
    // missing: the listing below says so
  }
  if (link) {
    throw new NotADirectoryError(`${what}: '${area}' is a symbolic link`);
  }
  try {
    return await ctx.fs.readDir(path);
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    rethrow(err, what, area);
  }
}

/** The names of the listed files of an area (see {@linkcode listed}). */
export async function listNames(
  ctx: Context,
  area: Area,
  what: string,
): Promise<string[]> {
  const names: string[] = [];
  for await (const batch of scanArea(ctx, area, what)) {
    for (const e of batch) if (listed(e)) names.push(e.name);
  }
  return names;
}
