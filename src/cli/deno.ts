/**
 * The `filestore` command for Deno:
 * `deno run -A jsr:@filestore/filestore/cli --help`.
 *
 * @example
 * ```sh
 * deno run -A jsr:@filestore/filestore/cli --store /tmp/q prepare
 * echo hello | deno run -A jsr:@filestore/filestore/cli -s /tmp/q deliver
 * ```
 *
 * @module
 */

import type { CliIo } from "./main.ts";
import { main } from "./main.ts";

export { type CliIo, main };

/**
 * The command's streams, signals and spawning, from Deno's APIs.
 *
 * @returns The I/O for {@linkcode main}.
 */
export function denoIo(): CliIo {
  const write = async (
    stream: { write(p: Uint8Array): Promise<number> },
    data: Uint8Array,
  ) => {
    for (let at = 0; at < data.length;) {
      at += await stream.write(data.subarray(at));
    }
  };
  const encoder = new TextEncoder();
  return {
    stdin: () => Deno.stdin.readable,
    stdout: (d) =>
      write(Deno.stdout, typeof d === "string" ? encoder.encode(d) : d),
    stderr: (text) => write(Deno.stderr, encoder.encode(text)),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no --allow-env
      }
    },
    onSignal: (handler) => {
      const signals: Deno.Signal[] = Deno.build.os === "windows"
        ? ["SIGINT"]
        : ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, handler);
      return () => {
        for (const s of signals) Deno.removeSignalListener(s, handler);
      };
    },
    run: async (command, args, signal) => {
      const child = new Deno.Command(command, {
        args,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
        ...(signal ? { signal } : {}),
      }).spawn();
      const status = await child.status;
      return status.success ? 0 : status.code || 128;
    },
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args, denoIo()));
