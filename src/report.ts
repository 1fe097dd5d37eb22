// The one line that reports a failure of consume() (its default onError,
// and the CLI's line per failed file).
import type { Claim, FailResult } from "./claim.ts";
import { ClaimLostError } from "./errors.ts";

/**
 * One line about an error of `consume()`: the file and its attempt, the
 * error's message, and where the file went (when it retries, or that it is
 * a dead letter); for a failure of the housekeeping, just the error.
 *
 * @param error The handler's error, a `ClaimLostError`, or a failure of
 * the housekeeping.
 * @param claim The claim it is about, if any.
 * @param result What the failure did with the file, if it was failed.
 * @param now The clock, for "retry in".
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeFailure, FileStore } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/s", { fs: memoryFileSystem() });
 * await store.prepare();
 * await store.deliver("x", { name: "report.csv" });
 * const lines: string[] = [];
 * await store.consume(() => {
 *   throw new Error("upload refused");
 * }, {
 *   maxAttempts: 1,
 *   onError: (err, claim, result) =>
 *     lines.push(describeFailure(err, claim, result)),
 * });
 * assert.deepEqual(lines, [
 *   "'report.csv' failed (attempt 1 of 1): upload refused; dead-lettered",
 * ]);
 * ```
 */
export function describeFailure(
  error: unknown,
  claim?: Claim,
  result?: FailResult,
  now: number = Date.now(),
): string {
  const message = error instanceof Error ? error.message : String(error);
  if (claim === undefined) return message;
  if (error instanceof ClaimLostError) {
    return `'${claim.name}': claim lost (${message})`;
  }
  const attempt = result?.attempts ?? claim.attempts + 1;
  let line =
    `'${claim.name}' failed (attempt ${attempt} of ${claim.maxAttempts}): ${message}`;
  if (result?.dead) line += "; dead-lettered";
  else if (result?.due != null) {
    const wait = Math.max(0, result.due - now);
    line += wait < 1000 ? "; retry now" : `; retry in ${seconds(wait)}`;
  }
  return line;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
