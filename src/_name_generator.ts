// Unique names and tokens (PROTOCOL.md, sections 2 and 3): the maildir rule
// for generated names, and the token every entry made after delivery
// carries, so that no two processes can make the same target name.
import { MAX_NAME_BYTES } from "./areas.ts";

const encoder = new TextEncoder();
/** Each byte's two lowercase hex digits. */
const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * A 10-character base-36 tag of a host name and the scope of its process
 * ids (boot and pid namespace): 64-bit FNV-1a, reduced to 36^10.
 */
export function hostTag(hostname: string, scope: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of encoder.encode(`${hostname}\u0000${scope}`)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return (h % (36n ** 10n)).toString(36).padStart(10, "0");
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
 * `time.M<usec>P<pid>Q<counter>R<random>.host`, and the tokens of the
 * entries it makes.
 */
export class NameGenerator {
  readonly hostTag: string;
  /**
   * The tag of a detached claim's token: of this host, but no process's
   * scope, so no process anywhere judges such a claim by its pid.
   */
  readonly detachedTag: string;
  #pid: number;
  #host: string;
  #counter = 0;
  #last = 0;
  #random = new Uint8Array(2048);
  #randomAt = 2048;
  #seq = 0;
  #lastToken = 0;
  // The last token's time, and in base 36.
  #tokenTime = -1;
  #tokenTimeText = "";

  /** @param seq Where the token counter starts (tests start near the wrap). */
  constructor(pid: number, hostname: string, scope: string, seq = 0) {
    this.#seq = seq;
    this.#pid = pid;
    this.#host = escapeHost(hostname);
    this.hostTag = hostTag(hostname, scope);
    this.detachedTag = hostTag(hostname, `${scope}\u0000detached`);
  }

  // 64 random bits as 16 hex digits, a byte at a time from a table: the
  // radix conversion of Number.prototype.toString(16) took 0.9 of the
  // 1.5 µs a name cost under Node.
  #nextRandom(): string {
    if (this.#randomAt >= this.#random.length) {
      crypto.getRandomValues(this.#random);
      this.#randomAt = 0;
    }
    const b = this.#random;
    const i = this.#randomAt;
    this.#randomAt = i + 8;
    return HEX[b[i]!]! + HEX[b[i + 1]!]! + HEX[b[i + 2]!]! + HEX[b[i + 3]!]! +
      HEX[b[i + 4]!]! + HEX[b[i + 5]!]! + HEX[b[i + 6]!]! + HEX[b[i + 7]!]!;
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
    const name = `${seconds}.M${usec}P${this.#pid}Q${++this
      .#counter}R${this.#nextRandom()}.${this.#host}`;
    // Generated names are ASCII: one byte per character.
    return name.length > MAX_NAME_BYTES ? name.slice(0, MAX_NAME_BYTES) : name;
  }

  /**
   * A new token `PID.HOST.TIME.SEQ`. Unique for this process: the counter
   * wraps at 36^4, and the time (milliseconds, never less than the last
   * token's) then differs; a later process with the same pid differs in
   * time. `detached` gives it the detached tag, `ahead` puts its time that
   * many milliseconds ahead (a detached claim's longer lease).
   */
  token(now: number, detached = false, ahead = 0): string {
    this.#seq = (this.#seq + 1) % (36 ** 4);
    let time = Math.floor(now);
    if (!(time >= this.#lastToken)) time = this.#lastToken;
    if (this.#seq === 0) time = Math.max(time, this.#lastToken + 1);
    this.#lastToken = time;
    const tag = detached ? this.detachedTag : this.hostTag;
    // A detached claim with a lease longer than the store's starts its
    // lease that much later (its token's time is its first sign of life).
    if (ahead > 0) time += ahead;
    // Most tokens fall in the millisecond of the one before.
    if (time !== this.#tokenTime) {
      this.#tokenTime = time;
      this.#tokenTimeText = time.toString(36);
    }
    return `${this.#pid}.${tag}.${this.#tokenTimeText}.${
      this.#seq.toString(36)
    }`;
  }
}
