// What a store shares with the claims and files it hands out: the
// filesystem, the paths, the settings and the candidate cache
// (_open_context.ts makes it).
import type { Area } from "./areas.ts";
import type { Candidates } from "./_candidates.ts";
import type { NameGenerator } from "./_name_generator.ts";
import type { Durability } from "./durability.ts";
import type { FileSystem } from "./file_system.ts";

export interface Context {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly names: NameGenerator;
  readonly durability: Durability;
  readonly maxAttempts: number;
  readonly keep: boolean;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
  /** The listing of `new` that claims take their candidates from. */
  readonly candidates: Candidates;
}

export function areaPath(ctx: Context, area: Area): string {
  return `${ctx.dir}/${area}`;
}

export function entryPath(ctx: Context, area: Area, entry: string): string {
  return `${ctx.dir}/${area}/${entry}`;
}
