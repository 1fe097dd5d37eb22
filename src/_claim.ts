// Claim (PROTOCOL.md, section 4): the next candidate of the listing of
// `new`, renamed into `cur` under a name with a new token of this process.
// One rename; the loser of a race sees "not found" and takes the next.
import { type Context, entryPath } from "./_context.ts";
import { claimOrder } from "./_candidates.ts";
import { type EntryInfo, entryOf, parseEntry } from "./_entry.ts";
import { failEntry } from "./_fail.ts";
import { promoteDue, promotionDue } from "./_promote.ts";
import { rethrow } from "./_rethrow.ts";
import { listNames } from "./_scan_area.ts";
import { type Claim, newClaim } from "./claim.ts";
import { ClaimLostError, InvalidNameError, NotFoundError } from "./errors.ts";
import type { FileInfo, MaybePromise } from "./file_system.ts";

/** Lists `new` in claim order, for the candidate cache. */
export async function listCandidates(ctx: Context): Promise<string[]> {
  return claimOrder(
    await listNames(ctx, "new", "Cannot claim from 'new'"),
    ctx.now(),
  );
}

/**
 * Claims the next file, or returns null when `new` has none. The common
 * claim (a candidate in the cache, nothing to promote) awaits nothing where
 * the backend answers at once: its steps chain only where a backend call
 * returns a promise.
 */
export function claimNext(
  ctx: Context,
  maxAttempts: number,
  detached = false,
  ahead = 0,
): Promise<Claim | null> {
  try {
    const entry = promotionDue(ctx) ? undefined : ctx.candidates.take();
    if (entry !== undefined) {
      const first = claimEntry(ctx, entry, maxAttempts, detached, ahead);
      if (first instanceof Promise) {
        return first.then((claim) =>
          claim ?? claimLoop(ctx, maxAttempts, detached, ahead)
        );
      }
      if (first !== undefined) return Promise.resolve(first);
    }
  } catch (err) {
    return Promise.reject(err);
  }
  return claimLoop(ctx, maxAttempts, detached, ahead);
}

// The general claim: promotion, a refill of the cache, candidates lost to
// other claimers.
async function claimLoop(
  ctx: Context,
  maxAttempts: number,
  detached: boolean,
  ahead: number,
): Promise<Claim | null> {
  let relisted = false;
  while (true) {
    // What became due goes into `new` first and takes its place there.
    if (promotionDue(ctx) && await promoteDue(ctx)) ctx.candidates.invalidate();
    let entry = ctx.candidates.take();
    if (entry === undefined) {
      if (relisted) return null;
      await ctx.candidates.refill();
      relisted = true;
      entry = ctx.candidates.take();
      // Nothing in `new`: `wait` is listed at once if it never was.
      if (entry === undefined && await promoteDue(ctx, true)) {
        await ctx.candidates.refill();
        entry = ctx.candidates.take();
      }
      if (entry === undefined) return null;
    }
    const claim = await claimEntry(ctx, entry, maxAttempts, detached, ahead);
    if (claim !== undefined) return claim;
  }
}

// One candidate: renamed into `cur` under a name with a new token, looked
// at, handed out. Undefined where it is not to be had: another claimer won,
// or it was not a regular file (set aside).
function claimEntry(
  ctx: Context,
  entry: string,
  maxAttempts: number,
  detached: boolean,
  ahead: number,
): MaybePromise<Claim | undefined> {
  const info = parseEntry(entry);
  const claimed = entryOf(
    info.name,
    info.attempts,
    "c",
    ctx.names.token(ctx.now(), detached, ahead),
    info.reason,
  );
  let renamed: MaybePromise<void>;
  try {
    renamed = ctx.fs.rename(
      entryPath(ctx, "new", entry),
      entryPath(ctx, "cur", claimed),
    );
  } catch (err) {
    return notClaimed(err, info.name, entry);
  }
  if (renamed instanceof Promise) {
    return renamed.then(
      () => handOut(ctx, claimed, info, maxAttempts),
      (err: unknown) => notClaimed(err, info.name, entry),
    );
  }
  return handOut(ctx, claimed, info, maxAttempts);
}

// Another claimer won, or the name was not what the listing said (a name
// that is not UTF-8 cannot be reached by its decoded form): the next
// candidate is taken. Any other failure is thrown.
function notClaimed(err: unknown, name: string, entry: string): undefined {
  if (err instanceof NotFoundError) return undefined;
  rethrow(err, `Cannot claim '${name}'`, `new/${entry}`);
}

// The listing said "a regular file", but a producer may have put a link, a
// FIFO or a device in its place before the rename: such an entry is never
// handed out. It goes aside to `dead`, where stats() counts it among the
// ignored, and the next candidate is taken.
function handOut(
  ctx: Context,
  claimed: string,
  info: EntryInfo,
  maxAttempts: number,
): MaybePromise<Claim | undefined> {
  const looked = lookAt(ctx, claimed);
  if (looked instanceof Promise) {
    return looked.then((found) =>
      withLook(ctx, claimed, info, maxAttempts, found)
    );
  }
  return withLook(ctx, claimed, info, maxAttempts, looked);
}

function withLook(
  ctx: Context,
  claimed: string,
  info: EntryInfo,
  maxAttempts: number,
  looked: FileInfo | undefined,
): MaybePromise<Claim | undefined> {
  if (looked && !looked.isFile) {
    return setAside(ctx, claimed, info.name, info.attempts).then(() =>
      undefined
    );
  }
  // The look's size lets the claim's read skip the backend's own checks
  // (FileSystem.readFile's trustedSize): only this claimer made the name.
  return newClaim(
    ctx,
    claimed,
    info.name,
    info.attempts,
    maxAttempts,
    looked?.size,
  );
}

// Where the look itself fails (undefined), the claim is handed out all the
// same: its reads, without a trusted size, refuse anything but a regular
// file (FileSystem.readFile), and a claim thrown away here would wait for
// its age.
function lookAt(
  ctx: Context,
  entry: string,
): MaybePromise<FileInfo | undefined> {
  let looked: MaybePromise<FileInfo>;
  try {
    looked = ctx.fs.lstat(entryPath(ctx, "cur", entry));
  } catch {
    return undefined;
  }
  return looked instanceof Promise ? looked.catch(() => undefined) : looked;
}

async function setAside(
  ctx: Context,
  entry: string,
  name: string,
  attempts: number,
): Promise<void> {
  try {
    await failEntry(ctx, entry, { name, attempts }, 0, { operation: "fail" });
  } catch (err) {
    if (!(err instanceof ClaimLostError)) throw err;
  }
}

/** Checks, before any call, that an entry is the name of a claim. */
export function checkClaimEntry(entry: string): EntryInfo {
  const info = parseEntry(entry);
  if (info.state !== "c") {
    const hint = info.state === "d"
      ? ": it is a dead letter (requeue it to try again)"
      : info.state === "f"
      ? ": it is a finished file kept in 'cur'"
      : info.state === "w"
      ? ": it waits in 'wait' for its retry"
      : ": claim it first";
    throw new InvalidNameError(
      `Invalid claim '${entry}': not the name of a claimed file in 'cur'${hint}`,
    );
  }
  return info;
}

/** The claim `cur/<entry>`, checked to be there. */
export async function claimedEntry(
  ctx: Context,
  entry: string,
  info: EntryInfo,
  maxAttempts: number,
): Promise<Claim> {
  let looked: FileInfo;
  try {
    looked = await ctx.fs.lstat(entryPath(ctx, "cur", entry));
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new ClaimLostError(
        `Cannot find claim '${entry}': 'cur/${entry}' does not exist`,
        { cause: err.cause ?? err },
      );
    }
    rethrow(err, `Cannot find claim '${entry}'`, `cur/${entry}`);
  }
  return newClaim(
    ctx,
    entry,
    info.name,
    info.attempts,
    maxAttempts,
    looked.isFile ? looked.size : undefined,
  );
}
