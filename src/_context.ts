// What a store shares with the claims and files it hands out: the
// filesystem, the paths, the settings and the candidate cache
// (_open_context.ts makes it).
import type { Area } from "./areas.ts";
import type { Candidates } from "./_candidates.ts";
import { dueOf, waitBucket } from "./_entry.ts";
import type { NameGenerator } from "./_name_generator.ts";
import type { Durability } from "./durability.ts";
import type { Backoff } from "./options.ts";
import type { FileSystem } from "./file_system.ts";

export interface Context {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly names: NameGenerator;
  readonly durability: Durability;
  readonly maxAttempts: number;
  readonly keep: boolean;
  /** Shared between hosts: claims end with a rename first. */
  readonly shared: boolean;
  /** Whether names the caller chooses can be made exclusive. */
  readonly exclusiveNames: boolean;
  /** Permission bits of new directories and files, where set. */
  readonly mode: { readonly directories?: number; readonly files?: number };
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
  /** The listing of `new` that claims take their candidates from. */
  readonly candidates: Candidates;
  /** The wait before a failed file's next attempt. */
  readonly backoff: Backoff;
  /** How long a claim stays valid without renewal. */
  readonly lease: number;
  /**
   * What this process knows of `wait`: the earliest due time it saw, when
   * it last listed `wait` (at first: when the store was opened), how long
   * until it lists it again, and whether it listed it at all.
   */
  readonly waiting: {
    nextDue: number;
    scannedAt: number;
    rescan: number;
    listed: boolean;
  };
}

export function areaPath(ctx: Context, area: Area): string {
  return `${ctx.dir}/${area}`;
}

/**
 * The path of `entry` in `area`: in `wait`, a waiting entry is in the
 * directory of its due time (`wait/HI/LO/ENTRY`), any other name at the top.
 */
export function entryPath(ctx: Context, area: Area, entry: string): string {
  if (area === "wait") {
    const due = dueOf(entry);
    if (due !== undefined) return `${ctx.dir}/wait/${waitBucket(due)}/${entry}`;
  }
  return `${ctx.dir}/${area}/${entry}`;
}

/** The options of mkdir() for a directory of the store. */
export function directoryOptions(ctx: Context): { mode?: number } {
  const mode = ctx.mode.directories;
  return mode === undefined ? {} : { mode };
}

/** The options of open() for a file the store creates. */
export function fileOptions(ctx: Context): { mode?: number } {
  const mode = ctx.mode.files;
  return mode === undefined ? {} : { mode };
}
