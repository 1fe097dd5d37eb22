// The age of a claim or a temporary (PROTOCOL.md, section 4, "Age"): the time
// since the latest of its token's time, its ctime and its mtime, with a time
// in the future taken as now (a clock ahead only delays recovery). Anyone can
// set an mtime (a maildir writer from a message date, `cp -p`): an mtime
// more than the allowed clock skew in the future is no touch and does not
// count, or it would keep a claim from ever being recovered. Nobody can set
// a ctime, so a writer that backdates its file's mtime still shows its
// writes.
import type { FileInfo } from "./file_system.ts";

/** How far in the future an mtime may be and still count as a touch. */
const SKEW = 60_000;

/** Milliseconds since the latest sign of life of a file, 0 at the least. */
export function ageOf(now: number, info: FileInfo, token = -Infinity): number {
  let latest = Math.max(token, info.ctime);
  if (info.mtime <= now + SKEW) latest = Math.max(latest, info.mtime);
  return latest >= now ? 0 : now - latest;
}
