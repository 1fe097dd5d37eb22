// Argument checks: every public method validates its arguments here, once,
// before anything touches the disk.
import { checkShared } from "./_shared.ts";
import { type Area, AREAS, MAX_ENTRY_BYTES, MAX_NAME_BYTES } from "./areas.ts";
import { checkBackoff } from "./_backoff.ts";
import { checkAge, checkCount, MAX_DELAY, MAX_TIMER } from "./_bounds.ts";
import { InvalidAreaError, InvalidNameError } from "./errors.ts";
import type { BatchFile, DeliverData, FileStoreOptions } from "./options.ts";
import type { Durability } from "./durability.ts";

const encoder = new TextEncoder();

// A surrogate without its pair cannot be written as UTF-8.
const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// C0 and C1 controls, DEL, the bidirectional marks and overrides (a listing
// printed to a terminal must not be spoofed), path separators, and ':' (the
// info separator of maildir, which mail tools read and rewrite).
const FORBIDDEN =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:]/;
// What an entry another tool made may not contain either (':' it may).
const FORBIDDEN_IN_ENTRY =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]/;

export function checkArea(area: unknown): Area {
  if (typeof area !== "string") {
    throw new TypeError(`Area must be a string, got ${typeof area}`);
  }
  if (!(AREAS as readonly string[]).includes(area)) {
    throw new InvalidAreaError(
      `Invalid area '${area}': expected one of ${
        AREAS.map((a) => `'${a}'`).join(", ")
      }`,
    );
  }
  return area as Area;
}

/** A name as it can be shown: control characters escaped. */
export function shown(name: string): string {
  return JSON.stringify(name).slice(1, -1).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 || code >= 0x7f
    ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}`
    : `'${c}'`;
}

function checkSegment(
  name: string,
  maxBytes: number,
  what: string,
  forbidden = FORBIDDEN,
): void {
  if (name === "") throw new InvalidNameError(`Invalid ${what}: it is empty`);
  const text = shown(name);
  if (name === "." || name === "..") {
    throw new InvalidNameError(
      `Invalid ${what} '${text}': it names a directory`,
    );
  }
  const bad = forbidden.exec(name);
  if (bad) {
    throw new InvalidNameError(
      `Invalid ${what} '${text}': it contains ${describeChar(bad[0])}`,
    );
  }
  if (name.startsWith(".")) {
    throw new InvalidNameError(
      `Invalid ${what} '${text}': it starts with '.' (reserved for the store's temporaries)`,
    );
  }
  if (LONE_SURROGATE.test(name)) {
    throw new InvalidNameError(
      `Invalid ${what} '${text}': it is not well-formed Unicode`,
    );
  }
  const bytes = name.length * 3 <= maxBytes
    ? name.length
    : encoder.encode(name).length;
  if (bytes > maxBytes) {
    throw new InvalidNameError(
      `Invalid ${what} '${
        text.slice(0, 40)
      }...': it has ${bytes} bytes, more than ${maxBytes}`,
    );
  }
}

/** Checks a name a file is created or delivered under. */
export function checkName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`Name must be a string, got ${typeof name}`);
  }
  checkSegment(name, MAX_NAME_BYTES, "name");
  if (name.includes("~")) {
    throw new InvalidNameError(
      `Invalid name '${
        shown(name)
      }': it contains '~' (reserved for the queue protocol)`,
    );
  }
  return name;
}

/**
 * Checks the name of an existing entry, given as a name or as a full path
 * (from `list()`), of which the last segment is used. Entries other tools
 * made may contain ':' and '~'; nothing else is relaxed.
 */
export function checkEntry(nameOrPath: unknown): string {
  if (typeof nameOrPath !== "string") {
    throw new TypeError(`Name must be a string, got ${typeof nameOrPath}`);
  }
  const cut = Math.max(
    nameOrPath.lastIndexOf("/"),
    nameOrPath.lastIndexOf("\\"),
  );
  const name = nameOrPath.slice(cut + 1);
  checkSegment(name, MAX_ENTRY_BYTES, "name", FORBIDDEN_IN_ENTRY);
  return name;
}

/** Checks the arguments of the FileStore constructor. */
export function checkStore(path: unknown, options: FileStoreOptions): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("The store's path must be a non-empty string");
  }
  if (path.includes("\0")) {
    throw new TypeError("The store's path must not contain NUL");
  }
  checkDurability(options.durability);
  checkMaxAttempts(options.maxAttempts);
  checkBackoff(options.backoff);
  if (options.lease !== undefined) checkAge(options.lease, "lease", MAX_DELAY);
  for (const kind of ["directories", "files"] as const) {
    const mode = options.mode?.[kind];
    if (
      mode !== undefined &&
      !(Number.isInteger(mode) && mode >= 0 && mode <= 0o7777)
    ) {
      throw new TypeError(
        `Invalid mode.${kind} '${
          String(mode)
        }': expected permission bits from 0 to 0o7777`,
      );
    }
  }
  checkShared(options.shared);
  if (options.now !== undefined && typeof options.now !== "function") {
    throw new TypeError("The clock 'now' must be a function");
  }
}

/** Checks an optional durability. */
/** Checks a mode of create(). */
export function checkMode(mode: unknown): void {
  if (mode !== "w" && mode !== "a" && mode !== "x") {
    throw new TypeError(
      `Invalid mode '${String(mode)}': expected 'w', 'a' or 'x'`,
    );
  }
}

/** Checks the arguments of move() and copy(); returns the entry. */
export function checkMove(name: unknown, from: unknown, to: unknown): string {
  const entry = checkEntry(name);
  checkArea(from);
  checkArea(to);
  return entry;
}

export function checkDurability(value: unknown): Durability | undefined {
  if (value === undefined) return undefined;
  if (value !== "full" && value !== "file" && value !== "none") {
    throw new TypeError(
      `Invalid durability '${
        String(value)
      }': expected 'full', 'file' or 'none'`,
    );
  }
  return value;
}

/** Checks an optional retry limit (1 to 999). */
export function checkMaxAttempts(value: unknown): number | undefined {
  return value === undefined
    ? undefined
    : checkCount(value, "maxAttempts", 999);
}

/** Checks a poll interval: what a timer can wait. */
export function checkPoll(value: unknown): number {
  return checkAge(value ?? 1000, "pollInterval", MAX_TIMER);
}

/** Checks consume()'s handler and options; returns the concurrency. */
export function checkConsume(
  handler: unknown,
  options: {
    concurrency?: unknown;
    pollInterval?: unknown;
    backoff?: unknown;
    lease?: unknown;
    timeout?: unknown;
    grace?: unknown;
    housekeeping?: unknown;
  },
): number {
  if (typeof handler !== "function") {
    throw new TypeError("The handler must be a function");
  }
  checkPoll(options.pollInterval);
  checkBackoff(options.backoff);
  if (options.lease !== undefined) checkAge(options.lease, "lease", MAX_DELAY);
  for (const key of ["timeout", "grace"] as const) {
    if (options[key] !== undefined) checkAge(options[key], key, MAX_TIMER);
  }
  const h = options.housekeeping;
  if (h !== undefined && h !== false) {
    if (typeof h !== "object" || h === null) {
      throw new TypeError(
        "Invalid housekeeping: expected false or { interval }",
      );
    }
    const interval = (h as { interval?: unknown }).interval;
    if (interval !== undefined) {
      checkAge(interval, "housekeeping.interval", MAX_TIMER);
    }
  }
  return checkCount(options.concurrency ?? 1, "concurrency", 1024);
}

function isBytesSource(data: unknown): data is DeliverData {
  return typeof data === "string" || data instanceof Uint8Array ||
    (typeof data === "object" && data !== null &&
      Symbol.asyncIterator in data) ||
    (typeof ReadableStream !== "undefined" && data instanceof ReadableStream);
}

export function checkData(data: unknown): DeliverData {
  if (!isBytesSource(data)) {
    throw new TypeError(
      "Data must be a string, a Uint8Array or a stream of Uint8Array",
    );
  }
  return data;
}

/** The files of a batch, each checked; a string is not a batch. */
export function checkBatch(files: unknown): BatchFile[] {
  if (
    typeof files === "string" || files === null ||
    typeof files !== "object" || !(Symbol.iterator in files)
  ) {
    throw new TypeError(
      "Files must be an iterable of contents or { data, name } objects, not " +
        (typeof files === "string" ? "a string" : String(files)),
    );
  }
  const items: BatchFile[] = [];
  for (const file of files as Iterable<unknown>) {
    const item: BatchFile = isBatchFile(file)
      ? file
      : { data: file as DeliverData };
    checkData(item.data);
    if (item.name !== undefined) checkName(item.name);
    items.push(item);
  }
  return items;
}

function isBatchFile(file: unknown): file is BatchFile {
  return typeof file === "object" && file !== null && "data" in file &&
    !(file instanceof Uint8Array) && !(Symbol.asyncIterator in file) &&
    !(typeof ReadableStream !== "undefined" && file instanceof ReadableStream);
}

/**
 * The due time of a delivery held back by `delay` and `at` (the later of
 * the two), or undefined when neither holds it back.
 */
export function checkDue(
  options: { delay?: unknown; at?: unknown },
  now: () => number,
): number | undefined {
  const { delay, at } = options;
  if (delay === undefined && at === undefined) return undefined;
  if (delay !== undefined) checkAge(delay, "delay", MAX_DELAY);
  let when: number | undefined;
  if (at !== undefined) {
    when = at instanceof Date ? at.getTime() : at as number;
    if (typeof when !== "number" || !Number.isFinite(when) || when < 0) {
      throw new TypeError(
        `Invalid at '${
          String(at)
        }': expected a Date or milliseconds since the epoch`,
      );
    }
  }
  const t = now();
  const due = Math.max(t + ((delay as number | undefined) ?? 0), when ?? 0);
  return due > t ? due : undefined;
}
