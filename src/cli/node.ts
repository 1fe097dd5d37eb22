#!/usr/bin/env node
/**
 * The `filestore` command for Node.js and Bun: the npm package's `bin`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";
import type { CliIo } from "./main.ts";
import { main } from "./main.ts";

export { type CliIo, main };

function write(
  stream: NodeJS.WriteStream,
  data: Uint8Array | string,
): Promise<void> | void {
  if (stream.write(data)) return;
  return new Promise((resolve) => stream.once("drain", () => resolve()));
}

/**
 * Stops a command's process group: SIGTERM, then SIGKILL three seconds
 * later if it is still there; `done()` when it ended.
 */
function stopper(
  kill: (signal: "SIGTERM" | "SIGKILL") => void,
): (() => void) & { done(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  const send = (sig: "SIGTERM" | "SIGKILL") => {
    try {
      kill(sig);
    } catch {
      // the group is gone
    }
  };
  const stop = () => {
    if (ended || timer) return;
    send("SIGTERM");
    timer = setTimeout(() => send("SIGKILL"), 3000);
  };
  return Object.assign(stop, {
    done: () => {
      ended = true;
      clearTimeout(timer);
    },
  });
}

/**
 * The command's streams, signals and spawning, from Node's APIs.
 *
 * @returns The I/O for {@linkcode main}.
 */
export function nodeIo(): CliIo {
  return {
    stdin: () => process.stdin,
    stdout: (d) => write(process.stdout, d),
    stderr: (text) => write(process.stderr, text),
    stderrIsTerminal: !!process.stderr.isTTY,
    env: (name) => process.env[name],
    onSignal: (handler) => {
      process.on("SIGINT", handler).on("SIGTERM", handler);
      return () => {
        process.off("SIGINT", handler).off("SIGTERM", handler);
      };
    },
    cwd: () => process.cwd(),
    run: (command, args, signal, env) =>
      new Promise((resolve, reject) => {
        // Its own process group: a Ctrl-C at the terminal reaches the
        // consumer, which decides, not the command.
        const child = spawn(command, args, {
          stdio: ["ignore", "inherit", "inherit"],
          detached: true,
          ...(env ? { env: { ...process.env, ...env } } : {}),
        });
        const stop = stopper((sig) => process.kill(-child.pid!, sig));
        if (signal?.aborted) stop();
        signal?.addEventListener("abort", stop, { once: true });
        child.once("error", (err) => {
          signal?.removeEventListener("abort", stop);
          reject(err);
        });
        child.once("close", (code, sig) => {
          signal?.removeEventListener("abort", stop);
          stop.done();
          resolve(
            sig ? 128 + (constants.signals[sig] ?? 0) : code ?? 128,
          );
        });
      }),
  };
}

process.exitCode = await main(process.argv.slice(2), nodeIo());
