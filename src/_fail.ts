// Release and Fail (PROTOCOL.md, section 4): each is exactly one rename of
// the claim to a name that carries a new token of this process, so no other
// process can make the same name, nothing is ever replaced, and the file is
// under one name before and after. Recover fails abandoned claims with the
// same step.
import { type Context, entryPath } from "./_context.ts";
import { entryOf } from "./_entry.ts";
import { rethrow } from "./_rethrow.ts";
import { makeDeadArea, syncAfter } from "./_sync.ts";
import { ClaimLostError, NotFoundError } from "./errors.ts";

/** What {@linkcode failEntry} did with the file. */
export interface Failed {
  readonly attempts: number;
  readonly dead: boolean;
  readonly path: string;
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
): Promise<string> {
  const waiting = entryOf(info.name, attempts, "r", ctx.names.token(ctx.now()));
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

/** Moves the claim `cur/<entry>` to `dead` with `attempts`, in one rename. */
async function bury(
  ctx: Context,
  entry: string,
  info: { readonly name: string; readonly attempts: number },
  attempts: number,
  { operation, moved }: Move,
): Promise<string> {
  const source = entryPath(ctx, "cur", entry);
  const target = entryPath(
    ctx,
    "dead",
    entryOf(info.name, attempts, "d", ctx.names.token(ctx.now())),
  );
  try {
    try {
      await ctx.fs.rename(source, target);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      // Either the dead-letter area does not exist yet, or the claim is
      // gone: make the area, then try once more to tell which.
      await makeDeadArea(ctx);
      await ctx.fs.rename(source, target);
    }
  } catch (err) {
    lost(err, operation, info.name, entry);
  }
  moved?.();
  await syncAfter(ctx, "dead", () => `Did ${operation} '${info.name}'`);
  return target;
}

/**
 * Counts a failed attempt of the claim `cur/<entry>`: back to `new`, or to
 * `dead` once `maxAttempts` is reached.
 */
export async function failEntry(
  ctx: Context,
  entry: string,
  info: { readonly name: string; readonly attempts: number },
  maxAttempts: number,
  move: Move,
): Promise<Failed> {
  const attempts = info.attempts + 1;
  const dead = attempts >= maxAttempts;
  const path = dead
    ? await bury(ctx, entry, info, attempts, move)
    : await returnEntry(ctx, entry, info, attempts, move);
  return { attempts, dead, path };
}
