// Failure reasons (PROTOCOL.md, "Reasons"): the last reason a file failed
// with is kept in `S/reasons/KEY`, and the file's entry carries `KEY` as its
// last field through every move (claim, release, promotion, recovery), so
// the reason follows the file without a second rename. A reason is written
// before the rename that gives the file its key and removed after the
// rename or unlink that ends the key's use: a file is never held up by its
// reason, and no entry names a reason it did not get. What a crash between
// the two steps leaves is a reason no entry names, which `clean()` removes.
import { type Context, directoryOptions } from "./_context.ts";
import { ageOf } from "./_age.ts";
import { scanArea } from "./_scan_area.ts";
import { reasonKeyOf } from "./_entry.ts";
import { quietly } from "./_rethrow.ts";
import { AlreadyExistsError, NotFoundError } from "./errors.ts";
import { MAX_REASON_BYTES } from "./areas.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The text of a failure reason: an Error's message, else its text. */
export function reasonText(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  let text: string;
  if (reason instanceof Error) {
    text = reason.message === "" ? reason.name : reason.message;
  } else if (typeof reason === "string") {
    text = reason;
  } else {
    try {
      text = typeof reason === "object" && reason !== null &&
          Object.getPrototypeOf(reason) === Object.prototype
        ? JSON.stringify(reason)
        : String(reason);
    } catch {
      text = Object.prototype.toString.call(reason);
    }
  }
  return bounded(text);
}

/** `text` cut to MAX_REASON_BYTES of UTF-8, at a character, marked `…`. */
function bounded(text: string): string {
  if (text.length * 3 <= MAX_REASON_BYTES) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= MAX_REASON_BYTES) return text;
  let cut = MAX_REASON_BYTES - 3; // room for the ellipsis
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return decoder.decode(bytes.subarray(0, cut)) + "\u2026";
}

function reasonPath(ctx: Context, key: string): string {
  return `${ctx.dir}/reasons/${key}`;
}

function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let key = "";
  for (const b of bytes) key += (b % 36).toString(36);
  return key;
}

/**
 * Writes a reason under a new key (an exclusive create: a key is never
 * reused while its reason exists), making `reasons` when first needed.
 * Returns the key, or undefined when it could not be written: the failure
 * goes on without it.
 */
export async function writeReason(
  ctx: Context,
  text: string,
): Promise<string | undefined> {
  const data = encoder.encode(text);
  for (let tries = 0; tries < 4; tries++) {
    const key = newKey();
    try {
      await ctx.fs.writeNewFile(reasonPath(ctx, key), data, ctx.mode.files);
      return key;
    } catch (err) {
      if (err instanceof AlreadyExistsError) continue;
      if (!(err instanceof NotFoundError)) return undefined;
      try {
        await ctx.fs.mkdir(`${ctx.dir}/reasons`, directoryOptions(ctx));
      } catch (made) {
        if (!(made instanceof AlreadyExistsError)) return undefined;
      }
    }
  }
  return undefined;
}

/** The reason of an entry, or null (none, or lost). */
export async function readReason(
  ctx: Context,
  entry: string,
): Promise<string | null> {
  const key = reasonKeyOf(entry);
  if (key === undefined) return null;
  try {
    return decoder.decode(await ctx.fs.readFile(reasonPath(ctx, key)));
  } catch {
    return null;
  }
}

/** Removes the reason `key` (if any); a failure leaves it for clean(). */
export function dropReason(
  ctx: Context,
  key: string | undefined,
): Promise<void> | undefined {
  if (key === undefined) return;
  return quietly(() => ctx.fs.unlink(reasonPath(ctx, key)));
}

/**
 * Removes the reasons older than `olderThan` that no entry names. A key is
 * taken as unused only when two listings of the queue's areas in a row do
 * not show it, so a file moving between areas meanwhile keeps its reason
 * (a reason may be lost to a very unlucky race; a file never is). Returns
 * the paths removed.
 */
export async function dropOrphans(
  ctx: Context,
  olderThan: number,
): Promise<string[]> {
  const dir = `${ctx.dir}/reasons`;
  let keys: string[];
  try {
    keys = (await ctx.fs.readDir(dir)).filter((e) => e.isFile).map((e) =>
      e.name
    );
  } catch {
    return [];
  }
  const now = ctx.now();
  let unused = new Set<string>();
  for (const key of keys) {
    try {
      if (ageOf(now, await ctx.fs.lstat(`${dir}/${key}`)) > olderThan) {
        unused.add(key);
      }
    } catch {
      // gone meanwhile
    }
  }
  for (let pass = 0; pass < 2 && unused.size; pass++) {
    const named = await namedKeys(ctx);
    unused = new Set([...unused].filter((key) => !named.has(key)));
  }
  const removed: string[] = [];
  for (const key of unused) {
    try {
      await ctx.fs.unlink(`${dir}/${key}`);
      removed.push(`${dir}/${key}`);
    } catch {
      // removed by another cleaner meanwhile, or left for the next clean()
    }
  }
  return removed.sort();
}

/** The reason keys the entries of new, cur, wait and dead name. */
async function namedKeys(ctx: Context): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const area of ["new", "cur", "wait", "dead"] as const) {
    for await (
      const batch of scanArea(ctx, area, `Cannot clean '${area}'`)
    ) {
      for (const e of batch) {
        const key = reasonKeyOf(e.name);
        if (key !== undefined) keys.add(key);
      }
    }
  }
  return keys;
}
