// The wait before a retry (PROTOCOL.md, "Retries wait"): exponential by
// default, up to a fraction shorter at random so that files failed together
// do not come back together.
import { MAX_DELAY } from "./_bounds.ts";
import type { Backoff } from "./options.ts";

/**
 * The default: 15 s, then three times longer each time, at most an hour, up
 * to a fifth shorter at random. With the default 5 attempts the retries come
 * after about 15 s, 45 s, 2¼ min and 6¾ min: the fifth attempt is 10 minutes
 * after the first (8 at the earliest), so an outage of five minutes
 * dead-letters nothing.
 */
export const DEFAULT_BACKOFF = {
  initial: 15_000,
  factor: 3,
  max: 3_600_000,
  jitter: 0.2,
} as const;

/**
 * Milliseconds before the next attempt of a file that has failed `attempts`
 * times (1 after its first failure).
 */
export function retryDelay(
  backoff: Backoff,
  attempts: number,
  random: () => number = Math.random,
): number {
  if (backoff === false) return 0;
  if (typeof backoff === "function") {
    const ms = backoff(attempts);
    if (typeof ms !== "number" || !(ms >= 0) || ms > MAX_DELAY) {
      throw new TypeError(
        `The backoff function returned '${
          String(ms)
        }' for attempt ${attempts}: expected milliseconds from 0 to ${MAX_DELAY}`,
      );
    }
    return ms;
  }
  const initial = backoff.initial ?? DEFAULT_BACKOFF.initial;
  const factor = backoff.factor ?? DEFAULT_BACKOFF.factor;
  const max = backoff.max ?? DEFAULT_BACKOFF.max;
  const jitter = backoff.jitter === true
    ? DEFAULT_BACKOFF.jitter
    : backoff.jitter === false
    ? 0
    : backoff.jitter ?? DEFAULT_BACKOFF.jitter;
  const full = Math.min(max, initial * factor ** Math.max(0, attempts - 1));
  return Math.round(full * (1 - jitter * random()));
}

/** Checks a backoff option. */
export function checkBackoff(value: unknown): Backoff | undefined {
  if (value === undefined || value === false) return value;
  if (typeof value === "function") return value as Backoff;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      "Invalid backoff: expected false, a function or { initial, factor, max, jitter }",
    );
  }
  const b = value as Record<string, unknown>;
  for (const key of ["initial", "max"]) {
    const v = b[key];
    if (
      v !== undefined && !(typeof v === "number" && v >= 0 && v <= MAX_DELAY)
    ) {
      throw new TypeError(
        `Invalid backoff.${key} '${
          String(v)
        }': expected milliseconds from 0 to ${MAX_DELAY}`,
      );
    }
  }
  if (
    b.factor !== undefined &&
    !(typeof b.factor === "number" && b.factor >= 1 && b.factor <= 1000)
  ) {
    throw new TypeError(
      `Invalid backoff.factor '${
        String(b.factor)
      }': expected a number from 1 to 1000`,
    );
  }
  const j = b.jitter;
  if (
    j !== undefined && typeof j !== "boolean" &&
    !(typeof j === "number" && j >= 0 && j <= 1)
  ) {
    throw new TypeError(
      `Invalid backoff.jitter '${
        String(j)
      }': expected a boolean or a fraction from 0 to 1`,
    );
  }
  return value as Backoff;
}
