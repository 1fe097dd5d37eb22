// Names, areas and the info suffix the queue protocol appends to names.
// PROTOCOL.md is the specification; this file implements it.
import { InvalidAreaError, InvalidNameError } from "./errors.ts";

/**
 * The areas a store has; `dead` is created when first needed.
 *
 * @example
 * ```ts
 * import { AREAS } from "@filestore/filestore";
 * console.log(AREAS); // ["tmp", "new", "cur", "dead"]
 * ```
 */
export const AREAS = ["tmp", "new", "cur", "dead"] as const;

/**
 * One of the store's areas.
 *
 * @example
 * ```ts
 * import type { Area } from "@filestore/filestore";
 * const area: Area = "new";
 * console.log(area);
 * ```
 */
export type Area = typeof AREAS[number];

/** The most bytes a filesystem allows in one name. */
export const MAX_ENTRY_BYTES = 255;
/** Room kept for the info suffix (`~A.c.PID.HOST.TIME.SEQ`, at most 39 bytes). */
export const RESERVED_BYTES = 40;
/**
 * The most UTF-8 bytes a name given to `create` or `deliver` may have.
 *
 * @example
 * ```ts
 * import { MAX_NAME_BYTES } from "@filestore/filestore";
 * console.log(MAX_NAME_BYTES); // 215
 * ```
 */
export const MAX_NAME_BYTES: number = MAX_ENTRY_BYTES - RESERVED_BYTES;

const encoder = new TextEncoder();

// A surrogate without its pair cannot be written as UTF-8 (what
// String.prototype.isWellFormed tells, which Node 18 lacks).
const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f/\\]/;

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

function describe(name: string): string {
  return JSON.stringify(name).slice(1, -1);
}

function checkSegment(name: string, maxBytes: number, what: string): void {
  if (name === "") throw new InvalidNameError(`Invalid ${what}: it is empty`);
  const shown = describe(name);
  if (name === "." || name === "..") {
    throw new InvalidNameError(
      `Invalid ${what} '${shown}': it names a directory`,
    );
  }
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    throw new InvalidNameError(
      `Invalid ${what} '${shown}': it contains ${
        JSON.stringify(bad[0]).replace(/^"|"$/g, "'")
      }`,
    );
  }
  if (name.startsWith(".")) {
    throw new InvalidNameError(
      `Invalid ${what} '${shown}': it starts with '.' (reserved for the store's temporaries)`,
    );
  }
  if (LONE_SURROGATE.test(name)) {
    throw new InvalidNameError(
      `Invalid ${what} '${shown}': it is not well-formed Unicode`,
    );
  }
  const bytes = encoder.encode(name).length;
  if (bytes > maxBytes) {
    throw new InvalidNameError(
      `Invalid ${what} '${
        shown.slice(0, 40)
      }...': it has ${bytes} bytes, at most ${maxBytes} are allowed`,
    );
  }
}

/**
 * Checks a name for a new file (`create`, `deliver`): one path segment, no
 * `~` (the protocol's separator), short enough for the info suffix.
 */
export function checkName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`Name must be a string, got ${typeof name}`);
  }
  checkSegment(name, MAX_NAME_BYTES, "name");
  if (name.includes("~")) {
    throw new InvalidNameError(
      `Invalid name '${
        describe(name)
      }': it contains '~' (reserved for the queue protocol)`,
    );
  }
  return name;
}

/**
 * Checks the name of an existing entry, given as a name or as a full path
 * (from `list()`), of which the last segment is used.
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
  checkSegment(name, MAX_ENTRY_BYTES, "name");
  return name;
}

/** The states of an entry that carries an info suffix with an owner. */
type EntryState = "c" | "f" | "d";

/** What an entry's name says about it. */
export interface EntryInfo {
  /** The name the file was delivered under. */
  readonly name: string;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Claimed, finished (kept), dead; absent for a plain or retried entry. */
  readonly state?: EntryState;
  readonly pid?: number;
  readonly host?: string;
  /** The owner token `PID.HOST.TIME.SEQ`. */
  readonly owner?: string;
  /** When the claim was made, in milliseconds since the epoch. */
  readonly time?: number;
}

const INFO =
  /^(0|[1-9][0-9]{0,2})(?:\.([cfd])\.([0-9]{1,10})\.([0-9a-z]{7})\.([0-9a-z]{1,8})\.([0-9a-z]{1,4}))?$/;

/** Parses an entry name (`NAME`, `NAME~A`, `NAME~A.S.PID.HOST.SEQ`). */
export function parseEntry(entry: string): EntryInfo {
  const cut = entry.lastIndexOf("~");
  if (cut > 0) {
    const m = INFO.exec(entry.slice(cut + 1));
    if (m) {
      const name = entry.slice(0, cut);
      if (m[2] === undefined) return { name, attempts: Number(m[1]) };
      return {
        name,
        attempts: Number(m[1]),
        state: m[2] as EntryState,
        pid: Number(m[3]),
        host: m[4]!,
        owner: `${m[3]}.${m[4]}.${m[5]}.${m[6]}`,
        time: parseInt(m[5]!, 36),
      };
    }
  }
  return { name: entry, attempts: 0 };
}

/** The entry name of a file waiting in `new` after `attempts` failures. */
export function waitingEntry(name: string, attempts: number): string {
  return attempts === 0 ? name : `${name}~${attempts}`;
}

/** The entry name of a file with an owner token (`c`, `f` or `d`). */
export function ownedEntry(
  name: string,
  attempts: number,
  state: EntryState,
  owner: string,
): string {
  return `${name}~${attempts}.${state}.${owner}`;
}

/** A 7-character base-36 tag of a host name (32-bit FNV-1a). */
export function hostTag(hostname: string): string {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(hostname)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, "0");
}

// Percent-escapes everything but letters, digits, '.', '-' and '_', so that a
// host name can never add '/', ':', '~' or '\' to a generated name.
function escapeHost(hostname: string): string {
  let out = "";
  for (const byte of encoder.encode(hostname)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(c)
      ? c
      : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out.replace(/^\./, "%2E");
}

/**
 * Makes unique, ordered names for one process, following the maildir rule
 * `time.M<usec>P<pid>Q<counter>R<random>.host`.
 */
export class NameGenerator {
  #pid: number;
  #host: string;
  #counter = 0;
  #last = 0;
  #random = new Uint32Array(256);
  #randomAt = 256;
  readonly #hostTag: string;
  #seq = 0;

  constructor(pid: number, hostname: string) {
    this.#pid = pid;
    this.#host = escapeHost(hostname);
    this.#hostTag = hostTag(hostname);
  }

  #nextRandom(): number {
    if (this.#randomAt === this.#random.length) {
      crypto.getRandomValues(this.#random);
      this.#randomAt = 0;
    }
    return this.#random[this.#randomAt++]!;
  }

  /** A new unique name; names of one generator sort in the order made. */
  next(): string {
    let micros = Math.floor(
      (performance.timeOrigin + performance.now()) * 1000,
    );
    if (micros <= this.#last) micros = this.#last + 1;
    this.#last = micros;
    const seconds = Math.floor(micros / 1e6);
    const usec = String(micros % 1e6).padStart(6, "0");
    const random = this.#nextRandom().toString(16).padStart(8, "0");
    const name = `${seconds}.M${usec}P${this.#pid}Q${++this
      .#counter}R${random}.${this.#host}`;
    return truncateUtf8(name, MAX_NAME_BYTES);
  }

  /**
   * A new owner token `PID.HOST.TIME.SEQ`: the time in milliseconds and a
   * counter (wrapping at 36^4) make it unique for this process, and for a
   * later process that gets the same pid.
   */
  owner(now: number): string {
    this.#seq = (this.#seq + 1) % (36 ** 4);
    return `${this.#pid}.${this.#hostTag}.${now.toString(36)}.${
      this.#seq.toString(36)
    }`;
  }

  /** The host tag recorded in owner tokens. */
  get hostTag(): string {
    return this.#hostTag;
  }
}

function truncateUtf8(s: string, maxBytes: number): string {
  // Generated names are ASCII: one byte per character.
  return s.length > maxBytes ? s.slice(0, maxBytes) : s;
}
