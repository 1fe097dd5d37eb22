// Opening a store: its context, made once, on its first operation.
import { AREAS } from "./areas.ts";
import { DEFAULT_BACKOFF } from "./_backoff.ts";
import { Candidates } from "./_candidates.ts";
import { listCandidates } from "./_claim.ts";
import type { Context } from "./_context.ts";
import { NameGenerator } from "./_name_generator.ts";
import { defaultFileSystem } from "./default_file_system.ts";
import { NotADirectoryError } from "./errors.ts";
import type { FileStoreOptions } from "./options.ts";

// What was said already: a limitation is reported once per process.
const WARNED = new Set<string>();

/**
 * Makes a store's context on its first operation. Once per store: an area
 * that is a symbolic link could lead every rename out of the store, so it is
 * refused before anything else.
 */
export async function openContext(
  dir: string,
  options: FileStoreOptions,
): Promise<Context> {
  const fs = options.fs ?? await defaultFileSystem();
  for (const message of fs.limitations ?? []) {
    if (WARNED.has(message)) continue;
    WARNED.add(message);
    (options.onWarning ?? ((m) => console.warn(`filestore: ${m}`)))(message);
  }
  for (const area of AREAS) {
    let info;
    try {
      info = await fs.lstat(`${dir}/${area}`);
    } catch {
      continue; // missing (not prepared yet), or the operation will say
    }
    if (info.isSymlink) {
      throw new NotADirectoryError(
        `Cannot use the store '${dir}': '${area}' is a symbolic link`,
      );
    }
  }
  const clock = options.now ?? Date.now;
  const now = (): number => {
    const t = clock();
    // Tokens hold ten base-36 digits of milliseconds: up to the year
    // 117,000.
    if (typeof t !== "number" || !(t >= 0 && t < 36 ** 10)) {
      throw new TypeError(
        `The clock 'now' returned '${
          String(t)
        }': expected milliseconds since the epoch`,
      );
    }
    return t;
  };
  const ctx: Context = {
    fs,
    dir,
    names: new NameGenerator(fs.pid, fs.hostname, fs.processScope ?? ""),
    durability: options.durability ?? "full",
    maxAttempts: options.maxAttempts ?? 5,
    keep: options.keep ?? false,
    shared: options.shared !== undefined && options.shared !== false,
    exclusiveNames: typeof options.shared !== "object" ||
      options.shared.exclusiveNames !== false,
    mode: options.mode ?? {},
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    lease: options.lease ?? 600_000,
    waiting: {
      nextDue: Infinity,
      scannedAt: now(),
      rescan: 1000,
      listed: false,
    },
    now,
    candidates: new Candidates(() => listCandidates(ctx)),
  };
  return ctx;
}
