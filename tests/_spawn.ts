// Starts a script of this folder as a real process of the same runtime:
// `deno run -A x.ts` under Deno, `node x.js` / `bun x.js` on the built tests.
import { fileURLToPath } from "node:url";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { isDeno } from "./_backends.ts";

const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The command and arguments that run `script` (without extension) here. */
export function command(script: string, args: string[]): [string, string[]] {
  const path = fileURLToPath(new URL(`${script}${ext}`, import.meta.url));
  return isDeno
    ? [process.execPath, ["run", "-A", "--quiet", path, ...args]]
    : [process.execPath, [path, ...args]];
}

/** The command and arguments that run the `filestore` CLI here. */
export function cliCommand(args: string[]): [string, string[]] {
  if (isDeno) {
    const path = fileURLToPath(new URL("../src/cli/deno.ts", import.meta.url));
    return [process.execPath, ["run", "-A", "--quiet", path, ...args]];
  }
  const path = fileURLToPath(new URL("../src/cli/node.js", import.meta.url));
  return [process.execPath, [path, ...args]];
}

/**
 * Spawns `script` of this folder (or, for `"filestore"`, the CLI) with
 * `args`; stdout and stderr are collected.
 */
export function start(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Child {
  const [cmd, argv] = script === "filestore"
    ? cliCommand(args)
    : command(script, args);
  return startCommand(cmd, argv, env);
}

/** Spawns any command, with stdout and stderr collected. */
export function startCommand(
  cmd: string,
  argv: string[],
  env: Record<string, string> = {},
): Child {
  const child = spawn(cmd, argv, {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  // Some runtimes report "close" before the last output has been read:
  // wait for the end of both streams as well.
  const ended = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => stream.once("end", () => resolve()));
  const closed = Promise.all([
    new Promise<number | null>((resolve) =>
      child.once("close", (code) => resolve(code))
    ),
    ended(child.stdout!),
    ended(child.stderr!),
  ]).then(([code]) => code);
  return Object.assign(child, {
    output: () => out,
    errors: () => err,
    closed,
  });
}

/** A spawned process with its collected output. */
export type Child = ChildProcess & {
  output: () => string;
  errors: () => string;
  closed: Promise<number | null>;
};

/** Runs the CLI to its end, feeding `input`; resolves with what it did. */
export async function filestore(
  args: string[],
  input = "",
): Promise<{ code: number | null; out: string; err: string }> {
  const child = start("filestore", args);
  child.stdin!.end(input);
  const code = await exited(child);
  return { code, out: child.output(), err: child.errors() };
}

/**
 * Waits for a process to end and its streams to close; resolves with its
 * exit code (null after a signal).
 */
export function exited(child: Child): Promise<number | null> {
  return child.closed;
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
