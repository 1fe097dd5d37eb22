// Release and Fail (PROTOCOL.md, section 4): each is exactly one rename of
// the claim to a name that carries a new token of this process, so no other
// process can make the same name, nothing is ever replaced, and the file is
// under one name before and after. Recover fails abandoned claims with the
// same step.
import { type Context, entryPath } from "./_context.ts";
import { retryDelay } from "./_backoff.ts";
import { entryOf, reasonKeyOf, waitingEntryOf } from "./_entry.ts";
import { dropReason, writeReason } from "./_reasons.ts";
import { rethrow } from "./_rethrow.ts";
import { makeArea, syncAfter } from "./_sync.ts";
import { renameIntoWait } from "./_wait.ts";
import { ClaimLostError, NotFoundError } from "./errors.ts";

/** What {@linkcode failEntry} did with the file. */
export interface Failed {
  readonly attempts: number;
  readonly dead: boolean;
  readonly path: string;
  readonly due: number | null;
}

/** Which operation moves a claim, and what to do once the rename is done. */
export interface Move {
  readonly operation: "release" | "fail" | "recover";
  /** Called right after the rename, before the fsync that may follow. */
  readonly moved?: () => void;
}

/** Turns "the claim's name is gone" into `ClaimLostError`; rethrows others. */
export function lost(
  err: unknown,
  operation: string,
  name: string,
  entry: string,
): never {
  if (err instanceof NotFoundError) {
    throw new ClaimLostError(
      `Cannot ${operation} '${name}': 'cur/${entry}' is gone (recovered by another process, or moved by another tool)`,
      { cause: err.cause ?? err },
    );
  }
  rethrow(err, `Cannot ${operation} '${name}'`, `cur/${entry}`);
}

/**
 * Moves the claim `cur/<entry>` back to `new` with `attempts`, in one rename.
 * Throws `ClaimLostError` when the claim is no longer there.
 */
export async function returnEntry(
  ctx: Context,
  entry: string,
  info: { readonly name: string; readonly attempts: number },
  attempts: number,
  { operation, moved }: Move,
  reason: string | undefined = reasonKeyOf(entry),
): Promise<string> {
  const waiting = entryOf(
    info.name,
    attempts,
    "r",
    ctx.names.token(ctx.now()),
    reason,
  );
  const target = entryPath(ctx, "new", waiting);
  try {
    await ctx.fs.rename(entryPath(ctx, "cur", entry), target);
  } catch (err) {
    lost(err, operation, info.name, entry);
  }
  moved?.();
  ctx.candidates.invalidate();
  await syncAfter(ctx, "new", () => `Did ${operation} '${info.name}'`);
  return target;
}

/**
 * Renames the claim `cur/<entry>` to `area/<target>` (an area made when
 * first needed; in `wait`, the directory of `due`): if the rename says "not
 * found", the area may be missing, so it is made and the rename tried once
 * more, which then tells a lost claim.
 */
async function moveInto(
  ctx: Context,
  entry: string,
  name: string,
  area: "wait" | "dead",
  target: string,
  { operation, moved }: Move,
  due = 0,
): Promise<string> {
  const source = entryPath(ctx, "cur", entry);
  let path = entryPath(ctx, area, target);
  try {
    if (area === "wait") {
      path = await renameIntoWait(ctx, source, target, due);
    } else {
      try {
        await ctx.fs.rename(source, path);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        await makeArea(ctx, area);
        await ctx.fs.rename(source, path);
      }
    }
  } catch (err) {
    lost(err, operation, name, entry);
  }
  moved?.();
  await syncAfter(
    ctx,
    area,
    () => `Did ${operation} '${name}'`,
    ctx.durability,
    path.slice(0, path.lastIndexOf("/")),
  );
  return path;
}

/**
 * Counts a failed attempt of the claim `cur/<entry>`: to `dead` once
 * `maxAttempts` is reached; else back to `new` at once, or to `wait` until
 * the retry is due (`delay`, else the store's backoff). A `reason` is kept
 * with the file in place of the one it had (PROTOCOL.md, "Reasons").
 */
export async function failEntry(
  ctx: Context,
  entry: string,
  info: { readonly name: string; readonly attempts: number },
  maxAttempts: number,
  move: Move,
  delay?: number,
  reason?: string,
): Promise<Failed> {
  const old = reasonKeyOf(entry);
  const fresh = reason === undefined
    ? undefined
    : await writeReason(ctx, reason);
  const key = fresh ?? old;
  let failed: Failed;
  try {
    failed = await failWith(ctx, entry, info, maxAttempts, move, delay, key);
  } catch (err) {
    await dropReason(ctx, fresh); // never named: it goes
    throw err;
  }
  // The key the file carries now; the one it had, or one that did not fit
  // into its entry, is removed.
  const kept = reasonKeyOf(
    failed.path.slice(failed.path.lastIndexOf("/") + 1),
  );
  if (fresh !== undefined && old !== undefined) await dropReason(ctx, old);
  if (fresh !== undefined && kept !== fresh) await dropReason(ctx, fresh);
  return failed;
}

async function failWith(
  ctx: Context,
  entry: string,
  info: { readonly name: string; readonly attempts: number },
  maxAttempts: number,
  move: Move,
  delay: number | undefined,
  key: string | undefined,
): Promise<Failed> {
  const attempts = info.attempts + 1;
  const token = ctx.names.token(ctx.now());
  if (attempts >= maxAttempts) {
    const dead = entryOf(info.name, attempts, "d", token, key);
    const path = await moveInto(ctx, entry, info.name, "dead", dead, move);
    return { attempts, dead: true, path, due: null };
  }
  const wait = delay ?? retryDelay(ctx.backoff, attempts);
  const now = ctx.now();
  if (wait <= 0) {
    const path = await returnEntry(ctx, entry, info, attempts, move, key);
    return { attempts, dead: false, path, due: now };
  }
  const due = now + wait;
  const waiting = waitingEntryOf(info.name, attempts, due, token, key);
  const path = await moveInto(
    ctx,
    entry,
    info.name,
    "wait",
    waiting,
    move,
    due,
  );
  noteDue(ctx, due);
  return { attempts, dead: false, path, due };
}

/** Remembers that a file waits until `due`, so that `wait` is looked at by then. */
export function noteDue(ctx: Context, due: number): void {
  const w = ctx.waiting;
  w.nextDue = Math.min(w.nextDue, due);
}
