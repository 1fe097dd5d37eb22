// The age of a claim or a temporary (PROTOCOL.md, section 4, "Age"): the time
// since the latest of its token's time, its ctime and its mtime. Anyone can
// set an mtime (a maildir writer from a message date, `cp -p`), nobody can
// set a ctime: an mtime later than the file's ctime by more than the clock
// skew allowed is not a touch and does not count. A time in the future is
// taken as now, so a clock ahead only delays recovery.
import type { FileInfo } from "./file_system.ts";

/** How far ahead of its ctime an mtime may be and still count. */
export const SKEW = 60_000;

/** Milliseconds since the latest sign of life of a file, 0 at the least. */
export function ageOf(now: number, info: FileInfo, token = -Infinity): number {
  let latest = Math.max(token, info.ctime);
  if (info.mtime <= latest + SKEW) latest = Math.max(latest, info.mtime);
  return latest >= now ? 0 : now - latest;
}
