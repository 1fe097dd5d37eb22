#!/usr/bin/env node
/**
 * The `filestore` command for Node.js and Bun: the npm package's `bin`.
 *
 * @module
 */

import { spawn } from "node:child_process";
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
    run: (command, args, signal) =>
      new Promise((resolve, reject) => {
        const child = spawn(command, args, {
          stdio: ["ignore", "inherit", "inherit"],
          ...(signal ? { signal, killSignal: "SIGKILL" as const } : {}),
        });
        // An abort (the timeout) kills it: that is an exit, not an error.
        child.once("error", (err) => signal?.aborted ? undefined : reject(err));
        child.once("close", (code) => resolve(code ?? 128));
      }),
  };
}

process.exitCode = await main(process.argv.slice(2), nodeIo());
