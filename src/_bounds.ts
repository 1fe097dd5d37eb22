// Bounds of the numbers the options take: what a timer can wait, what a
// count and a duration may be. No imports, so that every module may check.

/** The longest wait a retry or a delivery may be given: 30 days. */
export const MAX_DELAY = 30 * 24 * 3_600_000;

/** The longest delay a timer can wait (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER = 2 ** 31 - 1;

export function checkCount(value: unknown, what: string, max: number): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < 1 ||
    value > max
  ) {
    throw new TypeError(
      `Invalid ${what} '${
        String(value)
      }': expected a whole number from 1 to ${max}`,
    );
  }
  return value;
}

/** Checks a duration in milliseconds: finite, 0 or more, at most `max`. */
export function checkAge(
  value: unknown,
  what: string,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (
    typeof value !== "number" || !(value >= 0) || !Number.isFinite(value) ||
    value > max
  ) {
    throw new TypeError(
      `Invalid ${what} '${
        String(value)
      }': expected milliseconds from 0 to ${max}`,
    );
  }
  return value;
}
