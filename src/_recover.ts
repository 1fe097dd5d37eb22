// Recover (PROTOCOL.md, section 4): abandoned claims are failed, each with
// the one rename that fail() makes. Concurrent recoverers, and a holder
// finishing at the same time, race for that one rename: one wins, the others
// see "not found" and leave the claim alone.
import { type Context, entryPath } from "./_context.ts";
import { ageOf } from "./_age.ts";
import { parseEntry } from "./_entry.ts";
import { failEntry } from "./_fail.ts";
import { wrap } from "./_rethrow.ts";
import { listNames } from "./_scan_area.ts";
import { ClaimLostError, NotFoundError } from "./errors.ts";
import type { RecoverOptions } from "./options.ts";

export async function recover(
  ctx: Context,
  olderThan: number,
  options: RecoverOptions,
): Promise<string[]> {
  const fs = ctx.fs;
  const entries = await listNames(
    ctx,
    "cur",
    "Cannot recover claims from 'cur'",
  );
  const now = ctx.now();
  const recovered: string[] = [];
  let failure: unknown;
  let checked = 0;
  for (const entry of entries) {
    options.onProgress?.(checked++, entries.length);
    const info = parseEntry(entry);
    if (info.state !== "c") continue;
    // A dead holder is seen only where its pid means the same process: the
    // same host, boot and pid namespace (the tag says so).
    const orphan = info.host === ctx.names.hostTag && info.pid !== fs.pid &&
      fs.processAlive(info.pid!) === false;
    try {
      // The token alone can show a claim young: no call needed then.
      if (!orphan && now - Math.min(info.time!, now) <= olderThan) continue;
      if (!orphan) {
        const stat = await fs.lstat(entryPath(ctx, "cur", entry));
        if (ageOf(now, stat, info.time) <= olderThan) continue;
      }
      const { path } = await failEntry(
        ctx,
        entry,
        info,
        ctx.maxAttempts,
        { operation: "recover" },
        undefined,
        orphan
          ? `Recovered: process ${info.pid} that held the claim is gone`
          : `Recovered: the claim was not renewed for ${
            Math.round(olderThan / 1000)
          } s`,
      );
      recovered.push(path);
    } catch (err) {
      // Finished, released or recovered by someone else meanwhile.
      if (err instanceof ClaimLostError || err instanceof NotFoundError) {
        continue;
      }
      // The other claims are still dealt with; the first failure is thrown
      // at the end.
      failure ??= wrap(err, `Cannot recover '${info.name}'`, `cur/${entry}`);
    }
  }
  options.onProgress?.(entries.length, entries.length);
  if (failure !== undefined) throw failure;
  return recovered.sort();
}
