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
  const denied = new Set<string>();
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
        denied.add(name); // no --allow-env
        return undefined;
      }
    },
    envDenied: (name) => denied.has(name),
    onSignal: (handler) => {
      const signals: Deno.Signal[] = Deno.build.os === "windows"
        ? ["SIGINT"]
        : ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, handler);
      return () => {
        for (const s of signals) Deno.removeSignalListener(s, handler);
      };
    },
    cwd: () => Deno.cwd(),
    run: async (command, args, signal, env) => {
      // Its own process group (a session): a Ctrl-C at the terminal
      // reaches the consumer, which decides, not the command.
      const child = new Deno.Command(command, {
        args,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
        detached: true,
        ...(env ? { env } : {}),
      }).spawn();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let ended = false;
      const send = (sig: Deno.Signal) => {
        try {
          if (!ended) Deno.kill(-child.pid, sig);
        } catch {
          // the group is gone
        }
      };
      // SIGTERM to the group, then SIGKILL three seconds later.
      const stop = () => {
        if (timer) return;
        send("SIGTERM");
        timer = setTimeout(() => send("SIGKILL"), 3000);
      };
      if (signal?.aborted) stop();
      signal?.addEventListener("abort", stop, { once: true });
      try {
        const status = await child.status;
        // 128 + the signal's number when one ended it (143 for SIGTERM).
        return status.success ? 0 : status.code || 128;
      } finally {
        ended = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", stop);
      }
    },
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args, denoIo()));
