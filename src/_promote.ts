// Becoming due (PROTOCOL.md, "Wait"): a file in `wait` whose due time has
// come is renamed into `new` under a name with a new token of this process,
// one rename, so of any number of promoters one moves each file. `wait` is
// listed only when the earliest due time this process knows of has come, or
// once a second (less often when the listing is slow) for what other
// processes put there: files that wait are never claimed past. With very
// many waiting, each listing still reads them all: see README, Performance.
import { type Context, entryPath } from "./_context.ts";
import { entryOf, parseEntry } from "./_entry.ts";
import { rethrow } from "./_rethrow.ts";
import { listed, scanArea } from "./_scan_area.ts";
import { syncAfter } from "./_sync.ts";
import { NotFoundError } from "./errors.ts";

/**
 * How often `wait` is listed for files other processes put there: once a
 * second, or less often when listing it takes long (ten times the last
 * listing's time), so that a large `wait` costs claims a tenth at most.
 */
const WAIT_RESCAN = 1000;

/** Moves what is due from `wait` to `new`; returns how many it moved. */
export async function promoteDue(ctx: Context): Promise<number> {
  const now = ctx.now();
  const w = ctx.waiting;
  if (now < w.nextDue && now - w.scannedAt < w.rescan) return 0;
  const started = performance.now();
  let next = Infinity;
  let moved = 0;
  for await (
    const batch of scanArea(ctx, "wait", "Cannot claim from 'wait'")
  ) {
    for (const e of batch) {
      if (!listed(e)) continue;
      // The due time without a full parse: `~A.w.DUE.` follows the last `~`.
      const cut = e.name.lastIndexOf("~");
      const w1 = e.name.indexOf(".w.", cut);
      if (w1 > 0) {
        const end = e.name.indexOf(".", w1 + 3);
        const due = parseInt(e.name.slice(w1 + 3, end), 36);
        if (due > now) {
          if (due < next) next = due;
          continue;
        }
      }
      const info = parseEntry(e.name);
      if (info.state !== "w") continue; // another tool's file: left alone
      if (info.due! > now) {
        if (info.due! < next) next = info.due!;
        continue;
      }
      const ready = entryOf(
        info.name,
        info.attempts,
        "r",
        ctx.names.token(now),
      );
      try {
        await ctx.fs.rename(
          entryPath(ctx, "wait", e.name),
          entryPath(ctx, "new", ready),
        );
        moved++;
      } catch (err) {
        if (err instanceof NotFoundError) continue; // another promoter won
        rethrow(err, `Cannot promote '${info.name}'`, `wait/${e.name}`);
      }
    }
  }
  w.nextDue = next;
  w.scannedAt = ctx.now();
  w.rescan = Math.max(WAIT_RESCAN, 10 * (performance.now() - started));
  if (moved) await syncAfter(ctx, "new", () => `Promoted ${moved} files`);
  return moved;
}
