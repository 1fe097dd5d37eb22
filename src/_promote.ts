// Becoming due (PROTOCOL.md, "Wait"): a file in `wait` whose due time has
// come is renamed into `new` under a name with a new token of this process,
// one rename, so of any number of promoters one moves each file. `wait` is
// listed only when the earliest due time this process knows of has come,
// once a second (less often when the listing is slow) for what other
// processes put there, and the first time `new` has nothing to claim. A
// listing reads the top of `wait` and the directories whose time has come
// (PROTOCOL.md, "The layout of wait"), never the files that wait for later.
import { type Context, entryPath } from "./_context.ts";
import { bucketStart, dueOf, entryOf, parseEntry } from "./_entry.ts";
import { quietly, rethrow } from "./_rethrow.ts";
import { listTop } from "./_scan_area.ts";
import { syncAfter } from "./_sync.ts";
import { isBucket, listBucket, renameIntoWait } from "./_wait.ts";
import { NotFoundError } from "./errors.ts";

/**
 * How often `wait` is listed for files other processes put there: once a
 * second, or less often when listing it takes long (ten times the last
 * listing's time), so that a large `wait` costs claims a tenth at most.
 */
const WAIT_RESCAN = 1000;

const WHAT = "Cannot claim from 'wait'";

/**
 * Whether `wait` is to be listed now: the earliest known due time has come,
 * or the last listing (at first: the store's opening) is `rescan` old.
 */
export function promotionDue(ctx: Context, now = ctx.now()): boolean {
  const w = ctx.waiting;
  return now >= w.nextDue || now - w.scannedAt >= w.rescan;
}

/** What one listing of `wait` found. */
interface Pass {
  readonly now: number;
  /** The earliest due time (or directory start) after `now`. */
  next: number;
  moved: number;
}

/**
 * Moves what is due from `wait` to `new` when {@linkcode promotionDue} says
 * so, or at once when `first` and this process never listed `wait`; returns
 * how many it moved.
 */
export async function promoteDue(
  ctx: Context,
  first = false,
): Promise<number> {
  const now = ctx.now();
  const w = ctx.waiting;
  if (!promotionDue(ctx, now) && !(first && !w.listed)) return 0;
  w.listed = true;
  const started = performance.now();
  const pass: Pass = { now, next: Infinity, moved: 0 };
  const root = `${ctx.dir}/wait`;
  for (const e of await listTop(ctx, "wait", WHAT)) {
    if (isBucket(e, 0)) {
      const start = bucketStart(e.name, 0)!;
      if (start > now) pass.next = Math.min(pass.next, start);
      else await promoteDirectory(ctx, `${root}/${e.name}`, 0, pass);
    } else if (e.isFile && e.name[0] !== ".") {
      await promoteFile(ctx, root, e.name, pass);
    }
  }
  w.nextDue = pass.next;
  w.scannedAt = ctx.now();
  w.rescan = Math.max(WAIT_RESCAN, 10 * (performance.now() - started));
  if (pass.moved) {
    await syncAfter(ctx, "new", () => `Promoted ${pass.moved} files`);
  }
  return pass.moved;
}

/**
 * Promotes what is due in the directory `dir` of level `level` whose start
 * has come, and removes it when that left it empty; true when it did.
 */
async function promoteDirectory(
  ctx: Context,
  dir: string,
  level: 0 | 1,
  pass: Pass,
): Promise<boolean> {
  let left = 0;
  for (const e of await listBucket(ctx, dir, WHAT)) {
    if (level === 0 && isBucket(e, 1)) {
      const start = bucketStart(e.name, 1)!;
      if (start > pass.now) {
        pass.next = Math.min(pass.next, start);
        left++;
      } else if (!(await promoteDirectory(ctx, `${dir}/${e.name}`, 1, pass))) {
        left++;
      }
    } else if (
      !e.isFile || e.name[0] === "." ||
      !(await promoteFile(ctx, dir, e.name, pass))
    ) {
      left++;
    }
  }
  // Emptied: removed, so that listings stay short. A file renamed into it
  // meanwhile keeps it (not empty); a producer that finds it gone makes it.
  if (left > 0) return false;
  await quietly(() => ctx.fs.removeDirectory(dir));
  return true;
}

/**
 * Promotes `dir/<entry>` if it is due, or moves it to its place if it is in
 * the wrong directory; true when it is gone from `dir`. Another tool's file
 * stays where it is.
 */
async function promoteFile(
  ctx: Context,
  dir: string,
  entry: string,
  pass: Pass,
): Promise<boolean> {
  const due = dueOf(entry);
  if (due === undefined) return false;
  const from = `${dir}/${entry}`;
  try {
    if (due > pass.now) {
      pass.next = Math.min(pass.next, due);
      if (entryPath(ctx, "wait", entry) === from) return false;
      await renameIntoWait(ctx, from, entry, due);
      return true;
    }
    const info = parseEntry(entry);
    const ready = entryOf(
      info.name,
      info.attempts,
      "r",
      ctx.names.token(pass.now),
      info.reason,
    );
    await ctx.fs.rename(from, entryPath(ctx, "new", ready));
    pass.moved++;
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return true; // another promoter won
    rethrow(
      err,
      `Cannot promote '${parseEntry(entry).name}'`,
      from.slice(ctx.dir.length + 1),
    );
  }
}
