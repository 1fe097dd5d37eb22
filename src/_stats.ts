// Stats: what each area holds, and what it holds that the queue will not
// take (so that nothing is silently stuck).
import type { Area } from "./areas.ts";
import { type Context, entryPath } from "./_context.ts";
import { ageOf } from "./_age.ts";
import { claimable } from "./_candidates.ts";
import { parseEntry } from "./_entry.ts";
import { rethrow } from "./_rethrow.ts";
import { scanArea } from "./_scan_area.ts";
import { NotFoundError } from "./errors.ts";
import type { AreaStats, StoreStats } from "./options.ts";

interface Counted extends AreaStats {
  claimed: number;
  finished: number;
  nextDue: number | null;
}

async function count(ctx: Context, area: Area, now: number): Promise<Counted> {
  const what = `Cannot count '${area}'`;
  let count = 0, claimed = 0, finished = 0, ignored = 0;
  let nextDue = Infinity;
  let oldest = 0;
  for await (const batch of scanArea(ctx, area, what)) {
    for (const e of batch) {
      // The store's own temporaries are dotfiles in `tmp`; anywhere else a
      // dotfile, a link, a directory or a device is no file of the queue.
      if (!e.isFile || (area !== "tmp" && e.name[0] === ".")) {
        ignored++;
        continue;
      }
      let age: number;
      try {
        age = ageOf(now, await ctx.fs.lstat(entryPath(ctx, area, e.name)));
      } catch (err) {
        if (!(err instanceof NotFoundError)) {
          rethrow(err, what, `${area}/${e.name}`);
        }
        // Gone meanwhile, or a name that is not UTF-8 (listed under a
        // decoded form that does not exist): counted, never listed.
        if (e.name.includes("\ufffd")) ignored++;
        continue;
      }
      const info = parseEntry(e.name);
      if (area === "new" && !claimable(info.name)) {
        ignored++;
        continue;
      }
      count++;
      if (age > oldest) oldest = age;
      if (info.due !== undefined && info.due < nextDue) nextDue = info.due;
      if (info.state === "c") claimed++;
      else if (info.state === "f") finished++;
    }
  }
  return {
    count,
    oldestAge: count === 0 ? null : oldest,
    ignored,
    claimed,
    finished,
    nextDue: nextDue === Infinity ? null : nextDue,
  };
}

export async function stats(ctx: Context): Promise<StoreStats> {
  const now = ctx.now();
  const [tmp, fresh, cur, wait, dead] = await Promise.all(
    (["tmp", "new", "cur", "wait", "dead"] as const).map((a) =>
      count(ctx, a, now)
    ),
  );
  const plain = (s: Counted): AreaStats => ({
    count: s.count,
    oldestAge: s.oldestAge,
    ignored: s.ignored,
  });
  return {
    tmp: plain(tmp!),
    new: plain(fresh!),
    cur: { ...plain(cur!), claimed: cur!.claimed, finished: cur!.finished },
    wait: { ...plain(wait!), nextDue: wait!.nextDue },
    dead: plain(dead!),
  };
}
