// The heartbeat of consume() (PROTOCOL.md, "Leases"): every claim whose
// handler runs is renewed (`touch()`) about every third of the lease, so no
// recover() anywhere takes it. One timer serves all the claims of one
// consume() call: a claim costs an entry in an array, not a timer of its own,
// so handlers shorter than the interval pay nothing measurable.
import { abortClaim, type Claim } from "./claim.ts";
import { removeAt } from "./_running.ts";

interface Beat {
  readonly claim: Claim;
  /** When it was last renewed. */
  renewed: number;
  renewing: boolean;
}

export class Heartbeat {
  readonly #period: number;
  /** The claims whose handlers run (an array: see _running.ts). */
  readonly #beats: Beat[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The time of the last tick (a clock read per claim costs Deno 0.24 µs). */
  #clock = 0;

  /** @param lease How long a claim stays valid without renewal (ms). */
  constructor(lease: number) {
    this.#period = Math.max(10, Math.floor(lease / 3));
  }

  /** Renews `claim` until {@linkcode Heartbeat.remove}; starts the timer. */
  add(claim: Claim): void {
    if (this.#timer === undefined) {
      this.#clock = performance.now();
      // Ticks at half the period: each claim is renewed at most one period
      // after its last renewal, counted for a new claim from the last tick
      // (earlier than its start, never later).
      this.#timer = setInterval(() => this.#tick(), this.#period / 2);
    }
    this.#beats.push({ claim, renewed: this.#clock, renewing: false });
  }

  remove(claim: Claim): void {
    const beats = this.#beats;
    for (let i = beats.length - 1; i >= 0; i--) {
      if (beats[i]!.claim === claim) return removeAt(beats, i);
    }
  }

  /** Stops the timer (the consume() call is over). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#beats.length = 0;
  }

  #tick(): void {
    const now = this.#clock = performance.now();
    const beats = this.#beats;
    // Backwards: a claim no longer held is removed on the way.
    for (let i = beats.length - 1; i >= 0; i--) {
      const beat = beats[i]!;
      if (now - beat.renewed < this.#period / 2 || beat.renewing) continue;
      if (!beat.claim.held) {
        removeAt(beats, i);
        continue;
      }
      beat.renewing = true;
      beat.claim.touch().then(
        () => (beat.renewed = performance.now()),
        // Recovered meanwhile (or the renewal failed): the handler is told.
        (err: unknown) => {
          this.remove(beat.claim);
          abortClaim(beat.claim, err);
        },
      ).finally(() => (beat.renewing = false));
    }
  }
}
