// A store shared between hosts (the option `shared`): what a network
// filesystem's client caches cannot fake, and what such a filesystem cannot
// make exclusive.
//
// A client that looked a name up less than its cache time ago can report
// `unlink`, `utime`, `link` and `open` of that name as done after another
// host renamed the file away (GlusterFS with its default caches, measured by
// `deno task test:cluster`); `rename` goes to the servers every time. So a
// shared store ends a claim by renaming the claimed file to a name only this
// process makes, in `tmp`, and only then removes it.
import type { Context } from "./_context.ts";
import { entryPath } from "./_context.ts";
import { NotSupportedError } from "./errors.ts";
import type { MaybePromise } from "./file_system.ts";
import type { FileStoreOptions } from "./options.ts";

/** Checks the option `shared`. */
export function checkShared(shared: FileStoreOptions["shared"]): void {
  if (shared === undefined || typeof shared === "boolean") return;
  if (
    typeof shared !== "object" || shared === null ||
    !(shared.exclusiveNames === undefined ||
      typeof shared.exclusiveNames === "boolean")
  ) {
    throw new TypeError(
      "Invalid option 'shared': expected a boolean or { exclusiveNames: boolean }",
    );
  }
}

/**
 * Refuses a name chosen by the caller where the store's filesystem cannot
 * make one exclusive.
 */
export function refuseChosenName(ctx: Context, what: string): void {
  if (ctx.exclusiveNames) return;
  throw new NotSupportedError(
    `Cannot ${what}: this store's filesystem cannot make a name exclusive (shared: { exclusiveNames: false }); deliver without a name`,
  );
}

/**
 * Removes a claimed file: on a shared store, first renamed out of `cur` to
 * a name in `tmp` only this process makes (a rename a stale cache cannot
 * fake); a crash before the unlink leaves a finished file that `clean()`
 * removes from `tmp`. Throws what the first call throws.
 */
export function removeClaimed(
  ctx: Context,
  path: string,
): MaybePromise<void> {
  // (the backend's answer as it comes: no await on the common path)
  return ctx.shared ? removeShared(ctx, path) : ctx.fs.unlink(path);
}

async function removeShared(ctx: Context, path: string): Promise<void> {
  const gone = entryPath(ctx, "tmp", `.${ctx.names.next()}`);
  await ctx.fs.rename(path, gone);
  try {
    await ctx.fs.unlink(gone);
  } catch {
    // clean() of tmp removes it (another host's clean may have already)
  }
}
