// Directory fsyncs, done only with durability "full" and where the backend
// can (PROTOCOL.md: "Sync D").
import type { Area } from "./areas.ts";
import { areaPath, type Context, directoryOptions } from "./_context.ts";
import { rethrow } from "./_rethrow.ts";
import { AlreadyExistsError, TooManyOpenFilesError } from "./errors.ts";
import type { Durability } from "./durability.ts";

/** Fsyncs a directory when the durability asks for it and the backend can. */
export async function syncPath(
  ctx: Context,
  dir: string,
  durability: Durability = ctx.durability,
): Promise<void> {
  if (durability === "full" && ctx.fs.capabilities.syncDirectory) {
    await ctx.fs.syncDirectory(dir);
  }
}

/** Fsyncs an area when the durability asks for it and the backend can. */
export function syncArea(
  ctx: Context,
  area: Area,
  durability: Durability = ctx.durability,
): Promise<void> {
  return syncPath(ctx, areaPath(ctx, area), durability);
}

/**
 * Fsyncs an area after a change that already took effect, when the
 * durability asks for it (the directory `dir` of the area: for `wait`, the
 * one of a due time); a failure says so (`"<done> but cannot sync
 * '<area>'"`), so that nobody retries the change. Returns nothing (and costs
 * nothing) when there is nothing to sync.
 */
export function syncAfter(
  ctx: Context,
  area: Area,
  done: () => string,
  durability: Durability = ctx.durability,
  dir: string = areaPath(ctx, area),
): Promise<void> | undefined {
  if (durability !== "full" || !ctx.fs.capabilities.syncDirectory) return;
  return (async () => {
    for (let tries = 1;; tries++) {
      try {
        return await ctx.fs.syncDirectory(dir);
      } catch (err) {
        // The change is made; the fsync needs a descriptor to open the
        // directory. Out of them (EMFILE, ENFILE), wait for some to close:
        // up to ten seconds, then report it.
        if (err instanceof TooManyOpenFilesError && tries < 400) {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        rethrow(err, `${done()} but cannot sync '${area}'`, area);
      }
    }
  })();
}

/**
 * Makes an area that is made when first needed (`wait`, `dead`) if it is
 * missing; under durability `"full"` the store's directory is fsynced when
 * the area was new, so that its entry survives a power cut too.
 */
export async function makeArea(
  ctx: Context,
  area: "wait" | "dead",
): Promise<void> {
  try {
    await ctx.fs.mkdir(areaPath(ctx, area), directoryOptions(ctx));
  } catch (err) {
    if (err instanceof AlreadyExistsError) return;
    throw err;
  }
  if (ctx.durability === "full" && ctx.fs.capabilities.syncDirectory) {
    await ctx.fs.syncDirectory(ctx.dir);
  }
}
