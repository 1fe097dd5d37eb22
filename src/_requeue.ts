// Requeue and purge (PROTOCOL.md, "Requeue" and "Purge"): what operators do
// with dead letters and kept files. A requeue is one rename to `new` under a
// name with a new token of this process (nothing can be in the way, so
// nothing is ever replaced); a purge removes files older than an age, and
// their reasons after them.
import { type Context, entryPath } from "./_context.ts";
import { ageOf } from "./_age.ts";
import { type EntryInfo, entryOf, parseEntry } from "./_entry.ts";
import { dropReason } from "./_reasons.ts";
import { rethrow } from "./_rethrow.ts";
import { listNames } from "./_scan_area.ts";
import { syncAfter } from "./_sync.ts";
import { InvalidNameError, NotFoundError } from "./errors.ts";

/** The area a requeue takes `info`'s file from, or an InvalidNameError. */
export function requeueArea(entry: string, info: EntryInfo): "dead" | "cur" {
  if (info.state === "d") return "dead";
  if (info.state === "f") return "cur";
  const what = info.state === "c"
    ? "a claim: finish, release or fail it"
    : info.state === "r" || info.state === undefined
    ? "not a dead letter or a kept file (a file in 'new' is already queued)"
    : "a waiting file: it is queued already";
  throw new InvalidNameError(`Cannot requeue '${entry}': ${what}`);
}

/** Moves a dead letter or a kept file back to `new`; returns its path. */
export async function requeue(
  ctx: Context,
  entry: string,
  info: EntryInfo,
  resetAttempts: boolean,
): Promise<string> {
  const area = requeueArea(entry, info);
  const target = entryPath(
    ctx,
    "new",
    entryOf(
      info.name,
      resetAttempts ? 0 : info.attempts,
      "r",
      ctx.names.token(ctx.now()),
      info.reason,
    ),
  );
  try {
    await ctx.fs.rename(entryPath(ctx, area, entry), target);
  } catch (err) {
    rethrow(err, `Cannot requeue '${info.name}'`, `${area}/${entry}`);
  }
  ctx.candidates.invalidate();
  await syncAfter(ctx, "new", () => `Requeued '${info.name}'`);
  return target;
}

/**
 * Removes the dead letters (`dead`) or kept files (`cur`, never a claim)
 * older than `olderThan`; returns their paths.
 */
export async function purge(
  ctx: Context,
  area: "dead" | "cur",
  olderThan: number,
): Promise<string[]> {
  const names = await listNames(ctx, area, `Cannot purge '${area}'`);
  const now = ctx.now();
  const removed: string[] = [];
  for (const entry of names) {
    const info = parseEntry(entry);
    if (area === "cur" && info.state !== "f") continue;
    const path = entryPath(ctx, area, entry);
    try {
      const stat = await ctx.fs.lstat(path);
      if (ageOf(now, stat, info.time) < olderThan) continue;
      await ctx.fs.unlink(path);
    } catch (err) {
      if (err instanceof NotFoundError) continue; // requeued or purged meanwhile
      rethrow(err, `Cannot purge '${info.name}'`, `${area}/${entry}`);
    }
    removed.push(path);
    await dropReason(ctx, info.reason);
  }
  if (removed.length) {
    await syncAfter(ctx, area, () => `Purged ${removed.length} files`);
  }
  return removed.sort();
}
