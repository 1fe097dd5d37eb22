/**
 * The operators' commands of `filestore`: `list --long`, `requeue`,
 * `purge`, `touch`, and finding a dead letter by the name it had.
 *
 * @module
 */

import type { Area } from "../areas.ts";
import type { EntryDetails } from "../details.ts";
import { InvalidNameError } from "../errors.ts";
import type { FileStore } from "../store.ts";
import type { Output } from "./io.ts";

/** An age or a wait, short: `42s`, `5m`, `3h`, `2d`; `-` for none. */
export function age(ms: number | null): string {
  if (ms === null) return "-";
  const s = ms / 1000;
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes}`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)}K`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)}M`;
  return `${(bytes / 1024 ** 3).toFixed(1)}G`;
}

async function sorted(
  store: FileStore,
  area: Area,
): Promise<EntryDetails[]> {
  const all: EntryDetails[] = [];
  for await (const e of store.entries(area)) all.push(e);
  return all.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/**
 * `list AREA`: paths; with `--json` or `--long`, each file's details (one
 * JSON array, or one line per file: state, attempts, age, size, due time,
 * entry, reason).
 */
export async function list(
  store: FileStore,
  area: Area,
  long: boolean,
  json: boolean,
  out: Output,
): Promise<void> {
  if (!long && !json) {
    const paths = await store.list(area);
    if (paths.length) await out.out(paths.join("\n") + "\n");
    return;
  }
  const entries = await sorted(store, area);
  if (json) {
    await out.json(entries);
    return;
  }
  const now = Date.now();
  for (const e of entries) {
    const due = e.due === null
      ? "-"
      : e.due <= now
      ? "due"
      : `in ${age(e.due - now)}`;
    const reason = e.reason === null ? "" : e.reason.replace(/\s+/g, " ");
    await out.line(
      [
        e.state.padEnd(9),
        String(e.attempts).padStart(3),
        age(e.age).padStart(4),
        size(e.size).padStart(6),
        due.padEnd(7),
        e.entry,
        reason,
      ].join(" ").trimEnd(),
    );
  }
}

/**
 * The entry of a file in `area` given by its entry or, in `dead` and
 * `wait`, by the name it was delivered under when exactly one file there
 * has it.
 */
export async function resolve(
  store: FileStore,
  given: string,
  area: Area,
): Promise<string> {
  const plain = given.slice(given.lastIndexOf("/") + 1);
  if ((area !== "dead" && area !== "wait") || plain.includes("~")) {
    return given;
  }
  const matches: string[] = [];
  for await (const e of store.entries(area)) {
    if (e.name === plain) matches.push(e.entry);
  }
  if (matches.length > 1) {
    throw new InvalidNameError(
      `'${plain}' is the name of ${matches.length} files in '${area}': give one entry (${
        matches.sort().join(", ")
      })`,
    );
  }
  return matches[0] ?? given;
}

/** `requeue ENTRY...` or `requeue --all [--older-than D]`. */
export async function requeue(
  store: FileStore,
  command: {
    names: string[];
    all: boolean;
    olderThan?: number;
    keepAttempts: boolean;
    json: boolean;
  },
  out: Output,
): Promise<void> {
  const options = { resetAttempts: !command.keepAttempts };
  const entries: string[] = [];
  if (command.all) {
    for (const e of await sorted(store, "dead")) {
      if (e.age >= (command.olderThan ?? 0)) entries.push(e.entry);
    }
  } else {
    for (const name of command.names) {
      entries.push(await resolve(store, name, "dead"));
    }
  }
  const paths: string[] = [];
  for (const entry of entries) {
    paths.push(await store.requeue(entry, options));
  }
  if (command.json) await out.json(paths);
  else {
    if (paths.length) await out.out(paths.join("\n") + "\n");
    await out.err(
      `${paths.length} ${paths.length === 1 ? "file" : "files"} requeued`,
    );
  }
}

/** `purge AREA --older-than D`. */
export async function purge(
  store: FileStore,
  area: "dead" | "cur",
  olderThan: number,
  json: boolean,
  out: Output,
): Promise<void> {
  const paths = await store.purge(area, { olderThan });
  if (json) await out.json(paths);
  else {
    if (paths.length) await out.out(paths.join("\n") + "\n");
    await out.err(
      `${paths.length} ${paths.length === 1 ? "file" : "files"} purged`,
    );
  }
}
