// The listing of an area that every operation uses (list, walk, claim,
// recover, clean, stats), with the one fallback for backends without
// `scanDir`, and the same checks and errors for the listing by name that
// claims take in one synchronous loop where the backend answers at once.
import type { Area } from "./areas.ts";
import { areaPath, type Context } from "./_context.ts";
import { rethrow } from "./_rethrow.ts";
import { NotADirectoryError, NotFoundError } from "./errors.ts";
import type { DirEntry, MaybePromise } from "./file_system.ts";
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
  if (await isLink(ctx, path)) throw linkError(area, what);
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
    listingFailed(err, area, what);
  }
}

// An area swapped for a link after the store was opened is refused at its
// next listing (the trust model keeps all but the store's owners from doing
// it: PROTOCOL.md, section 1). A missing area is no link: its listing says
// that it is missing.
function isLink(ctx: Context, path: string): MaybePromise<boolean> {
  let looked;
  try {
    looked = ctx.fs.lstat(path);
  } catch {
    return false;
  }
  return looked instanceof Promise
    ? looked.then((info) => info.isSymlink, () => false)
    : looked.isSymlink;
}

function linkError(area: Area, what: string): NotADirectoryError {
  return new NotADirectoryError(`${what}: '${area}' is a symbolic link`);
}

// A listing that failed: `dead` lists empty until it exists; any other
// failure is thrown as `what` about the area.
function listingFailed(err: unknown, area: Area, what: string): void {
  if (area === "dead" && err instanceof NotFoundError) return;
  rethrow(err, what, area);
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
  if (await isLink(ctx, path)) throw linkError(area, what);
  try {
    return await ctx.fs.readDir(path);
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    rethrow(err, what, area);
  }
}

/**
 * The names of the listed files of an area (see {@linkcode listed}), in
 * directory order. Where the backend answers at once, they are read in one
 * synchronous loop: no await per batch, and no async generator, which Bun
 * keeps with every entry it yielded until the event loop turns (a drain
 * whose claims all answer at once never turns it: 100,000 entries were kept
 * through a whole drain, 15 MiB of its peak).
 */
export function listNames(
  ctx: Context,
  area: Area,
  what: string,
): Promise<string[]> {
  if (area === "wait" || !ctx.fs.scanDir) {
    return (async () => {
      const names: string[] = [];
      for await (const batch of scanArea(ctx, area, what)) {
        for (const e of batch) if (listed(e)) names.push(e.name);
      }
      return names;
    })();
  }
  const path = areaPath(ctx, area);
  const link = isLink(ctx, path);
  return link instanceof Promise
    ? link.then((link) => namesIn(ctx, area, path, what, link))
    : namesIn(ctx, area, path, what, link);
}

function namesIn(
  ctx: Context,
  area: Area,
  path: string,
  what: string,
  link: boolean,
): Promise<string[]> {
  if (link) return Promise.reject(linkError(area, what));
  const names: string[] = [];
  let entries: Iterable<DirEntry> | AsyncIterable<DirEntry>;
  try {
    entries = ctx.fs.scanDir!(path);
    if (Symbol.iterator in entries) {
      for (const e of entries) if (listed(e)) names.push(e.name);
      return Promise.resolve(names);
    }
  } catch (err) {
    return failedNames(err, area, what);
  }
  return (async () => {
    try {
      for await (const e of entries) if (listed(e)) names.push(e.name);
      return names;
    } catch (err) {
      return failedNames(err, area, what);
    }
  })();
}

function failedNames(
  err: unknown,
  area: Area,
  what: string,
): Promise<string[]> {
  try {
    listingFailed(err, area, what);
  } catch (failure) {
    return Promise.reject(failure);
  }
  return Promise.resolve([]);
}
