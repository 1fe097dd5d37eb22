// Entries with their details (PROTOCOL.md, "Reasons"; README, "Operators"):
// an area's files as walk() reads them, each with what its entry says and
// one look at the file (size, age), and its reason where it has one.
import type { Area } from "./areas.ts";
import { type Context, entryPath } from "./_context.ts";
import { ageOf } from "./_age.ts";
import { parseEntry } from "./_entry.ts";
import { readReason } from "./_reasons.ts";
import { rethrow } from "./_rethrow.ts";
import { listed, scanArea } from "./_scan_area.ts";
import { NotFoundError } from "./errors.ts";
import type { EntryDetails, EntryState } from "./details.ts";

function stateOf(area: Area, state: string | undefined): EntryState {
  switch (area) {
    case "tmp":
      return "temporary";
    case "new":
      return "ready";
    case "wait":
      return "waiting";
    case "dead":
      return "dead";
    case "cur":
      return state === "c" ? "claimed" : state === "f" ? "finished" : "other";
  }
}

/** The details of one entry of `area`, or null when it is gone. */
export async function detailsOf(
  ctx: Context,
  area: Area,
  entry: string,
  now = ctx.now(),
): Promise<EntryDetails | null> {
  const path = entryPath(ctx, area, entry);
  let info;
  try {
    info = await ctx.fs.lstat(path);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    rethrow(err, `Cannot look at '${entry}' in '${area}'`, `${area}/${entry}`);
  }
  if (!info.isFile) return null;
  const parsed = parseEntry(entry);
  return {
    entry,
    name: parsed.name,
    path,
    area,
    attempts: parsed.attempts,
    state: stateOf(area, parsed.state),
    age: ageOf(now, info, parsed.time),
    size: info.size,
    reason: await readReason(ctx, entry),
    due: parsed.due ?? null,
  };
}

/** The files of `area` with their details, in directory order. */
export async function* entries(
  ctx: Context,
  area: Area,
): AsyncIterable<EntryDetails> {
  for await (const batch of scanArea(ctx, area, `Cannot list '${area}'`)) {
    const now = ctx.now();
    for (const e of batch) {
      if (!listed(e)) continue;
      const details = await detailsOf(ctx, area, e.name, now);
      if (details) yield details;
    }
  }
}
