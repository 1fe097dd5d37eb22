/**
 * `filestore consume -- CMD`: runs CMD for each file, in its own process
 * group, and stops without failing anything: after SIGINT or SIGTERM no new
 * file is claimed, running commands get the grace period of `consume()`,
 * and a command that a signal ends during the stop has its file released,
 * not failed.
 *
 * @module
 */

import type { Claim } from "../claim.ts";
import { describeFailure } from "../report.ts";
import type { FileStore } from "../store.ts";
import type { Command } from "./parse.ts";
import type { CliIo, Output } from "./io.ts";

/** The exit code of a consume that dead-lettered files or lost claims. */
export const EXIT_UNHANDLED = 3;

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  13: "SIGPIPE",
  15: "SIGTERM",
};

// How long a command that a signal ended waits for the consumer's own stop:
// systemd sends SIGTERM to the whole control group at once, and the
// command's end may be seen before the consumer's signal.
const STOP_SEEN = 300;

export async function consume(
  command: Extract<Command, { command: "consume" }>,
  store: FileStore,
  io: CliIo,
  out: Output,
): Promise<number> {
  const stop = new AbortController();
  const off = io.onSignal(() => stop.abort());
  let fatal: unknown;
  const [cmd, ...args] = command.run;
  let finished = 0;
  const release = async (claim: Claim) => {
    try {
      if (claim.held) await claim.release();
    } catch {
      // released by consume() itself meanwhile
    }
  };
  let result;
  try {
    result = await store.consume(async (claim: Claim) => {
      let code: number;
      try {
        code = await io.run(cmd, [...args, claim.path], claim.signal, {
          FILESTORE_NAME: claim.name,
          FILESTORE_ATTEMPTS: String(claim.attempts),
          FILESTORE_ENTRY: claim.entry,
          FILESTORE_STORE: store.path,
        });
      } catch (err) {
        // The command cannot run at all: put the file back and stop, rather
        // than failing every file into the dead-letter area.
        fatal ??= err;
        stop.abort();
        await release(claim);
        return;
      }
      if (code === 0) {
        await out.progress(`${++finished} files`);
        return;
      }
      const signal = code > 128
        ? SIGNALS[code - 128] ?? `signal ${code - 128}`
        : undefined;
      if (signal !== undefined && !stop.signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, STOP_SEEN);
          stop.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
      }
      const timedOut = (claim.signal.reason as Error | undefined)?.name ===
        "TimeoutError";
      if (stop.signal.aborted && !timedOut) {
        // Stopped, not failed: the file goes back as it was.
        await release(claim);
        return;
      }
      throw new Error(
        signal === undefined
          ? `'${cmd}' exited with ${code}`
          : `'${cmd}' was ended by ${signal}`,
      );
    }, {
      watch: command.watch,
      concurrency: command.concurrency,
      signal: stop.signal,
      pollInterval: 500,
      ...(command.maxAttempts === undefined
        ? {}
        : { maxAttempts: command.maxAttempts }),
      ...(command.backoff === undefined ? {} : { backoff: command.backoff }),
      ...(command.timeout === undefined ? {} : { timeout: command.timeout }),
      // One line per failed file, lost claim or housekeeping failure.
      onError: (err, claim, outcome) =>
        void out.err(`filestore: ${describeFailure(err, claim, outcome)}`),
    });
  } finally {
    off();
  }
  if (fatal !== undefined) {
    // Not about the store: the command's own trouble.
    throw new Error(
      `Cannot run '${cmd}': ${
        fatal instanceof Error ? fatal.message : String(fatal)
      }`,
      { cause: fatal },
    );
  }
  const { handled, failed, dead, lost, settled } = result;
  if (command.json) {
    await out.json({ handled, failed, dead, lost, released: settled });
  } else {
    await out.err(
      `${handled} handled, ${failed} failed (${dead} dead-lettered)` +
        (lost ? `, ${lost} lost` : "") +
        (settled ? `, ${settled} put back` : ""),
    );
  }
  return (dead > 0 || lost > 0) && !command.exitZero ? EXIT_UNHANDLED : 0;
}
