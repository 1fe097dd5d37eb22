// The heartbeat of consume() (PROTOCOL.md, "Leases"): every claim whose
// handler runs is renewed (`touch()`) about every third of the lease, so no
// recover() anywhere takes it. One timer serves all the claims of one
// consume() call: a claim costs an entry in a map, not a timer of its own,
// so handlers shorter than the interval pay nothing measurable.
import { abortClaim, type Claim } from "./claim.ts";

export class Heartbeat {
  readonly #period: number;
  /** The claims whose handlers run, with when each was last renewed. */
  readonly #claims = new Map<Claim, number>();
  readonly #renewing = new Set<Claim>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param lease How long a claim stays valid without renewal (ms). */
  constructor(lease: number) {
    this.#period = Math.max(10, Math.floor(lease / 3));
  }

  /** Renews `claim` until {@linkcode Heartbeat.remove}; starts the timer. */
  add(claim: Claim): void {
    this.#claims.set(claim, performance.now());
    // Ticks at half the period: each claim is renewed between a half and
    // one period after its last renewal.
    this.#timer ??= setInterval(() => this.#tick(), this.#period / 2);
  }

  remove(claim: Claim): void {
    this.#claims.delete(claim);
  }

  /** Stops the timer (the consume() call is over). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#claims.clear();
  }

  #tick(): void {
    const now = performance.now();
    for (const [claim, renewed] of this.#claims) {
      if (now - renewed < this.#period / 2 || this.#renewing.has(claim)) {
        continue;
      }
      if (!claim.held) {
        this.#claims.delete(claim);
        continue;
      }
      this.#renewing.add(claim);
      claim.touch().then(
        () => {
          if (this.#claims.has(claim)) {
            this.#claims.set(claim, performance.now());
          }
        },
        // Recovered meanwhile (or the renewal failed): the handler is told.
        (err: unknown) => {
          this.#claims.delete(claim);
          abortClaim(claim, err);
        },
      ).finally(() => this.#renewing.delete(claim));
    }
  }
}
