/**
 * What the `filestore` command needs from its runtime ({@linkcode CliIo}),
 * and how it writes its output.
 *
 * @module
 */

import type { FileSystem, MaybePromise } from "../file_system.ts";

/**
 * What the command needs from its runtime.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CliIo, main } from "@filestore/filestore/cli";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const errors: string[] = [];
 * const io: CliIo = {
 *   stdin: async function* () {},
 *   stdout: () => {},
 *   stderr: (t) => void errors.push(t),
 *   stderrIsTerminal: false,
 *   env: () => undefined,
 *   fs: memoryFileSystem(),
 *   onSignal: () => () => {},
 *   run: () => Promise.resolve(0),
 * };
 * assert.equal(await main(["--store", "/s", "prepare"], io), 0);
 * assert.equal(await main(["--store", "/s", "list", "elsewhere"], io), 2);
 * assert.match(errors.join(""), /elsewhere/);
 * ```
 */
export interface CliIo {
  /** Standard input, as bytes. */
  stdin(): AsyncIterable<Uint8Array>;
  /** Writes to standard output. */
  stdout(data: Uint8Array | string): MaybePromise<void>;
  /** Writes to standard error. */
  stderr(text: string): MaybePromise<void>;
  /** Whether standard error is a terminal (progress is shown only then). */
  stderrIsTerminal: boolean;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Whether reading `name` was refused (Deno without `--allow-env`). */
  envDenied?(name: string): boolean;
  /** The filesystem; the runtime's default when absent. */
  fs?: FileSystem;
  /**
   * Calls `handler` on SIGINT and SIGTERM until the returned function is
   * called.
   */
  onSignal(handler: () => void): () => void;
  /**
   * Runs a command in its own process group, with inherited standard
   * output and error and `env` added to the environment; `signal` aborting
   * stops the group (SIGTERM, then SIGKILL).
   *
   * @returns Its exit code: 128 plus the signal's number when a signal
   * ended it.
   * @throws When it cannot be started at all.
   */
  run(
    command: string,
    args: string[],
    signal?: AbortSignal,
    env?: Record<string, string>,
  ): Promise<number>;
  /** The working directory, for a relative `--store`. */
  cwd?(): string;
}

/** The command's output: results on stdout, messages and progress on stderr. */
export class Output {
  #io: CliIo;
  #progress = false;
  constructor(io: CliIo) {
    this.#io = io;
  }
  async out(data: Uint8Array | string): Promise<void> {
    await this.#clear();
    await this.#io.stdout(data);
  }
  async line(text: string): Promise<void> {
    await this.out(text + "\n");
  }
  async json(value: unknown): Promise<void> {
    await this.line(JSON.stringify(value));
  }
  async err(text: string): Promise<void> {
    await this.#clear();
    await this.#io.stderr(text + "\n");
  }
  /** Shows a progress line on a terminal; nothing otherwise. */
  async progress(text: string): Promise<void> {
    if (!this.#io.stderrIsTerminal) return;
    this.#progress = true;
    await this.#io.stderr(`\r\x1b[K${text}`);
  }
  async #clear(): Promise<void> {
    if (!this.#progress) return;
    this.#progress = false;
    await this.#io.stderr("\r\x1b[K");
  }
}
