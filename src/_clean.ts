// Clean (PROTOCOL.md, section 4): removes what dead writers left in `tmp`,
// judged by the latest of mtime and ctime (a writer that backdates its
// file's mtime still changes its ctime with every write), and the failure
// reasons no file names.
import { type Context, entryPath } from "./_context.ts";
import { ageOf } from "./_age.ts";
import { dropOrphans } from "./_reasons.ts";
import { rethrow } from "./_rethrow.ts";
import { scanArea } from "./_scan_area.ts";
import { NotFoundError } from "./errors.ts";
import type { CleanOptions } from "./options.ts";

export async function clean(
  ctx: Context,
  olderThan: number,
  options: CleanOptions,
): Promise<string[]> {
  const fs = ctx.fs;
  const names: string[] = [];
  for await (const batch of scanArea(ctx, "tmp", "Cannot clean 'tmp'")) {
    for (const e of batch) if (!e.isDirectory) names.push(e.name);
  }
  const now = ctx.now();
  const removed: string[] = [];
  let checked = 0;
  for (const name of names) {
    options.onProgress?.(checked++, names.length);
    const path = entryPath(ctx, "tmp", name);
    try {
      if (ageOf(now, await fs.lstat(path)) <= olderThan) continue;
      await fs.unlink(path);
      removed.push(path);
    } catch (err) {
      if (err instanceof NotFoundError) continue; // gone meanwhile
      rethrow(err, `Cannot clean '${name}' from 'tmp'`, `tmp/${name}`);
    }
  }
  options.onProgress?.(names.length, names.length);
  // And the failure reasons that no file names any more (a crash between a
  // reason's write and its file's move, or a file removed by another tool).
  removed.push(...await dropOrphans(ctx, olderThan));
  return removed.sort();
}
