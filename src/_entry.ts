// The entry grammar of protocol v2 (PROTOCOL.md, section 3): what the queue
// appends to a name in `new`, `cur` and `dead`, and the claim order.
import { MAX_ENTRY_BYTES } from "./areas.ts";

/**
 * The state letter of an entry with an info suffix: `r` waiting in `new`
 * after a release or a failure, `c` claimed, `f` finished and kept, `d` dead,
 * `w` waiting in `new` for a due time.
 */
export type EntryState = "r" | "c" | "f" | "d" | "w";

/** What an entry's name says about it. */
export interface EntryInfo {
  /** The name the file was delivered under. */
  readonly name: string;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Absent for a plain name (a fresh delivery, or another tool's file). */
  readonly state?: EntryState;
  /** The token `PID.HOST.TIME.SEQ` of the process that made the entry. */
  readonly token?: string;
  readonly pid?: number;
  /** The tag of the host, boot and pid namespace of `pid`. */
  readonly host?: string;
  /** When the token was made, in milliseconds since the epoch. */
  readonly time?: number;
  /** When a `w` entry is due, in milliseconds since the epoch. */
  readonly due?: number;
  /** The key of the file's last failure reason (`reasons/KEY`), if any. */
  readonly reason?: string;
}

const INFO =
  /^(0|[1-9][0-9]{0,2})\.(?:([rcfd])|w\.([0-9a-z]{1,10}))\.((?:0|[1-9][0-9]{0,9})\.([0-9a-z]{10})\.([0-9a-z]{1,10})\.[0-9a-z]{1,4})(?:\.([0-9a-z]{8}))?$/;

/** The longest info suffix, `~` included. */
export const MAX_INFO_BYTES: number = "~999.w.".length + 10 + 1 +
  "4294967295.".length + 10 + 1 + 10 + 1 + 4;

/** Parses an entry name (`NAME`, `NAME~A.S.TOKEN`, `NAME~A.w.DUE.TOKEN`). */
export function parseEntry(entry: string): EntryInfo {
  const cut = entry.lastIndexOf("~");
  if (cut > 0) {
    const m = INFO.exec(entry.slice(cut + 1));
    if (m) {
      const token = m[4]!;
      return {
        name: entry.slice(0, cut),
        attempts: Number(m[1]),
        state: (m[2] ?? "w") as EntryState,
        token,
        pid: Number(token.slice(0, token.indexOf("."))),
        host: m[5]!,
        time: parseInt(m[6]!, 36),
        ...(m[3] === undefined ? {} : { due: parseInt(m[3], 36) }),
        ...(m[7] === undefined ? {} : { reason: m[7] }),
      };
    }
  }
  return { name: entry, attempts: 0 };
}

/**
 * The reason key an entry ends in, if any: without a full parse for the
 * entries that have none (the key is the only 8-character last field).
 */
export function reasonKeyOf(entry: string): string | undefined {
  if (entry.charCodeAt(entry.length - 9) !== 0x2e) return undefined;
  return parseEntry(entry).reason;
}

/** The entry of a file waiting in `wait` until `due`, made with `token`. */
export function waitingEntryOf(
  name: string,
  attempts: number,
  due: number,
  token: string,
  reason?: string,
): string {
  return withReason(
    `${name}~${attempts}.w.${Math.floor(due).toString(36)}.${token}`,
    reason,
  );
}

/** The entry of a file in state `state`, made by the owner of `token`. */
export function entryOf(
  name: string,
  attempts: number,
  state: Exclude<EntryState, "w">,
  token: string,
  reason?: string,
): string {
  return withReason(`${name}~${attempts}.${state}.${token}`, reason);
}

const encoder = new TextEncoder();

// The reason's key goes last, where the entry has room for it (a name
// close to MAX_NAME_BYTES may leave none: its reason is not kept).
function withReason(entry: string, reason: string | undefined): string {
  if (reason === undefined) return entry;
  const keyed = `${entry}.${reason}`;
  if (
    keyed.length * 3 <= MAX_ENTRY_BYTES ||
    encoder.encode(keyed).length <= MAX_ENTRY_BYTES
  ) {
    return keyed;
  }
  return entry;
}

/**
 * The spans of `wait`'s two levels of directories (PROTOCOL.md, "The layout
 * of wait"): `wait/HI/LO/ENTRY`, where `HI` is the due time divided by 2^26
 * ms (about 18.6 hours) and `LO` by 2^16 ms (about 65.5 seconds), rounded
 * down, in base 36. Nothing in `HI` or `LO` is due before its start.
 */
export const WAIT_SPANS: readonly [number, number] = [2 ** 26, 2 ** 16];

/** The due time of a `w` entry, or undefined for any other name. */
export function dueOf(entry: string): number | undefined {
  const info = parseEntry(entry);
  return info.state === "w" ? info.due : undefined;
}

/** The directory `HI/LO` of `wait` that holds the files due at `due`. */
export function waitBucket(due: number): string {
  return `${Math.floor(due / WAIT_SPANS[0]).toString(36)}/${
    Math.floor(due / WAIT_SPANS[1]).toString(36)
  }`;
}

/**
 * The start of a directory of `wait` named `name` at `level` (0: `HI`, 1:
 * `LO`), or undefined for a name that is no such directory.
 */
export function bucketStart(name: string, level: 0 | 1): number | undefined {
  if (!/^[0-9a-z]{1,10}$/.test(name)) return undefined;
  return parseInt(name, 36) * WAIT_SPANS[level];
}

// UTF-16 code units sort surrogates (characters above U+FFFF) before
// U+E000..U+FFFF; UTF-8 bytes (and code points) sort them after.
function unit(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
}

/** Compares two strings in the order of their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) return x < 0xd800 || y < 0xd800 ? x - y : unit(x) - unit(y);
  }
  return a.length - b.length;
}

/** Whether plain `<` on these strings already gives UTF-8 order. */
export function utf16IsUtf8Order(s: string): boolean {
  return !HIGH.test(s);
}
const HIGH = /[\ud800-\uffff]/;
