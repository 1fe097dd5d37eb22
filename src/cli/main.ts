/**
 * The `filestore` command, independent of the runtime: it takes its streams,
 * filesystem, signals and process spawning from a {@linkcode CliIo} and
 * returns the exit code.
 *
 * @module
 */

import type { FileSystem } from "../file_system.ts";
import { type CliIo, Output } from "./io.ts";
import { defaultFileSystem } from "../default_file_system.ts";
import { FileStoreError, NotAFileError } from "../errors.ts";
import type { StoreStats } from "../options.ts";
import { FileStore } from "../store.ts";
import { VERSION } from "../version.ts";
import { type Command, parseCommand, usage, UsageError } from "./parse.ts";
import { consume } from "./consume.ts";
import { explain } from "./messages.ts";
import { age, list, purge, requeue, resolve } from "./operators.ts";

export type { CliIo };

function statsTable(stats: StoreStats): string {
  const rows = [["area", "files", "oldest", ""]];
  for (const area of ["tmp", "new", "cur", "wait", "dead"] as const) {
    const s = stats[area];
    const extra = area === "cur"
      ? `(${stats.cur.claimed} claimed, ${stats.cur.finished} finished)`
      : area === "wait" && stats.wait.nextDue !== null
      ? `(next due in ${age(Math.max(0, stats.wait.nextDue - Date.now()))})`
      : "";
    rows.push([area, String(s.count), age(s.oldestAge), extra]);
  }
  return rows.map((r) =>
    `${r[0]!.padEnd(5)} ${r[1]!.padStart(6)}  ${r[2]!.padEnd(6)} ${r[3]}`
      .trimEnd()
  ).join("\n") + "\n";
}

/**
 * Runs the `filestore` command.
 *
 * @param args The arguments, without the program name.
 * @param io The runtime's streams, filesystem, signals and spawning.
 * @returns The exit code: 0 success, 1 the operation failed, 2 usage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@filestore/filestore/cli";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * let out = "";
 * const io = {
 *   stdin: async function* () {},
 *   stdout: (d: Uint8Array | string) => {
 *     out += typeof d === "string" ? d : new TextDecoder().decode(d);
 *   },
 *   stderr: () => {},
 *   stderrIsTerminal: false,
 *   env: () => undefined,
 *   fs: memoryFileSystem(),
 *   onSignal: () => () => {},
 *   run: () => Promise.resolve(0),
 * };
 * await main(["-s", "/s", "prepare"], io);
 * await main(["-s", "/s", "deliver", "--name", "x"], io);
 * assert.equal(await main(["-s", "/s", "list", "new"], io), 0);
 * assert.equal(out, "x\n/s/new/x\n");
 * ```
 */
export async function main(args: string[], io: CliIo): Promise<number> {
  const out = new Output(io);
  let command: Command;
  const json = args.includes("--json");
  try {
    command = parseCommand(args, (name) => io.env(name));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (
      err.message.startsWith("No store given") &&
      io.envDenied?.("FILESTORE_DIR")
    ) {
      err.message =
        "No store given: use --store DIR (FILESTORE_DIR cannot be read without --allow-env=FILESTORE_DIR)";
    }
    if (json) {
      await io.stderr(
        JSON.stringify({ code: err.code, message: err.message }) + "\n",
      );
    } else {
      await io.stderr(`filestore: ${err.message}\n\n${usage(err.topic)}`);
    }
    return 2;
  }
  if ("store" in command) command.store = absolute(command.store, io);
  try {
    return await run(command, io, out);
  } catch (err) {
    const message = "store" in command
      ? await explain(err, command.store, io.fs ?? await defaultFileSystem())
      : err instanceof Error
      ? err.message
      : String(err);
    const code = err instanceof FileStoreError
      ? err.code
      : err instanceof TypeError
      ? "INVALID_ARGUMENT"
      : "ERROR";
    if (json) await io.stderr(JSON.stringify({ code, message }) + "\n");
    else await out.err(`filestore: ${message}`);
    return 1;
  }
}

// A relative --store is made absolute once, so that the commands consume
// runs get absolute paths (and may change directory).
function absolute(store: string, io: CliIo): string {
  if (store.startsWith("/") || io.cwd === undefined) return store;
  const parts: string[] = [];
  for (const part of `${io.cwd()}/${store}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

async function run(command: Command, io: CliIo, out: Output): Promise<number> {
  if (command.command === "help") {
    await out.out(usage(command.topic));
    return 0;
  }
  if (command.command === "version") {
    await out.line(`filestore ${VERSION}`);
    return 0;
  }
  const store = new FileStore(command.store, {
    ...(io.fs ? { fs: io.fs } : {}),
    ...(command.durability ? { durability: command.durability } : {}),
    ...(command.shared ? { shared: command.shared } : {}),
  });
  const json = command.json;
  switch (command.command) {
    case "prepare":
      await store.prepare();
      if (json) await out.json({ store: store.path });
      return 0;
    case "create": {
      const file = await store.create(command.name);
      try {
        for await (const chunk of io.stdin()) await file.write(chunk);
      } finally {
        await file.close();
      }
      if (json) await out.json({ path: file.path });
      return 0;
    }
    case "list":
      await list(store, command.area, command.long, json, out);
      return 0;
    case "requeue":
      await requeue(store, command, out);
      return 0;
    case "purge":
      await purge(store, command.area, command.olderThan, json, out);
      return 0;
    case "touch": {
      const claim = await store.claimed(command.name);
      await claim.touch();
      if (json) await out.json({ name: claim.name, touched: true });
      return 0;
    }
    case "move":
    case "copy": {
      await store[command.command](command.name, command.from, command.to, {
        overwrite: command.overwrite,
      });
      if (json) {
        const name = command.name.slice(command.name.lastIndexOf("/") + 1);
        await out.json({ path: `${store.path}/${command.to}/${name}` });
      }
      return 0;
    }
    case "remove": {
      const entry = await resolve(store, command.name, command.area);
      await store.remove(entry, command.area);
      if (json) await out.json({ removed: entry });
      return 0;
    }
    case "cat": {
      const entry = await resolve(store, command.name, command.area);
      await cat(store.stream(entry, command.area), json, out);
      return 0;
    }
    case "deliver":
      return await deliver(command, store, io, out);
    case "claim": {
      // The CLI exits at once: a claim it makes outlives it (recovered by
      // age only), valid for --lease before its first renewal.
      const claim = await store.claim({
        detached: true,
        ...(command.lease === undefined ? {} : { lease: command.lease }),
      });
      if (json) {
        await out.json(
          claim &&
            { name: claim.name, path: claim.path, attempts: claim.attempts },
        );
      } else if (claim) await out.line(claim.path);
      return 0;
    }
    case "done": {
      const claim = await store.claimed(command.name);
      await claim.done({ keep: command.keep });
      if (json) await out.json({ name: claim.name, done: true });
      return 0;
    }
    case "release": {
      const claim = await store.claimed(command.name);
      await claim.release();
      if (json) await out.json({ name: claim.name, released: true });
      return 0;
    }
    case "fail": {
      const claim = await store.claimed(
        command.name,
        command.maxAttempts === undefined
          ? {}
          : { maxAttempts: command.maxAttempts },
      );
      const result = await claim.fail(
        command.reason,
        command.delay === undefined ? {} : { delay: command.delay },
      );
      if (json) await out.json({ name: claim.name, ...result });
      else if (result.dead) await out.line(result.path);
      return 0;
    }
    case "consume":
      return await consume(command, store, io, out);
    case "clean":
    case "recover": {
      const verb = command.command === "clean" ? "removed" : "recovered";
      const paths = await store[command.command]({
        ...(command.olderThan === undefined
          ? {}
          : { olderThan: command.olderThan }),
        onProgress: (checked, total) => {
          if (checked % 100 === 0) out.progress(`${checked}/${total} checked`);
        },
      });
      if (json) await out.json(paths);
      else {
        if (paths.length) await out.out(paths.join("\n") + "\n");
        await out.err(
          `${paths.length} ${paths.length === 1 ? "file" : "files"} ${verb}`,
        );
      }
      return 0;
    }
    case "stats": {
      const stats = await store.stats();
      if (json) await out.json(stats);
      else await out.out(statsTable(stats));
      return 0;
    }
  }
}

async function deliver(
  command: Extract<Command, { command: "deliver" }>,
  store: FileStore,
  io: CliIo,
  out: Output,
): Promise<number> {
  const names: string[] = [];
  const options = {
    ...(command.name === undefined ? {} : { name: command.name }),
    ...(command.delay === undefined ? {} : { delay: command.delay }),
  };
  if (command.files.length === 0) {
    names.push(await store.deliver(io.stdin(), options));
  } else {
    const fs: FileSystem = io.fs ?? await defaultFileSystem();
    // Every file must be readable before the first is delivered, so that a
    // typo in the last one does not leave the others half done.
    for (const file of command.files) {
      let info;
      try {
        info = await fs.stat(file);
      } catch (err) {
        throw withMessage(err, `Cannot deliver '${file}'`, file);
      }
      if (!info.isFile) {
        throw new NotAFileError(
          `Cannot deliver '${file}': '${file}' is not a regular file`,
        );
      }
    }
    // One batch: the files are fsynced together and `new` once.
    names.push(
      ...await store.deliverMany(
        command.files.map((file) => ({
          data: readChunks(fs, file),
          ...options,
        })),
        {
          onProgress: (done, total) => {
            if (done % 100 === 0) out.progress(`${done}/${total} delivered`);
          },
        },
      ),
    );
  }
  if (command.json) await out.json(names);
  else await out.out(names.join("\n") + "\n");
  if (command.files.length > 1) {
    await out.err(`${names.length} files delivered`);
  }
  return 0;
}

async function* readChunks(
  fs: FileSystem,
  path: string,
): AsyncIterable<Uint8Array> {
  const handle = await fs.open(path, { read: true });
  try {
    while (true) {
      const buffer = new Uint8Array(64 * 1024);
      const n = await handle.read(buffer);
      if (n === 0) return;
      yield buffer.subarray(0, n);
    }
  } finally {
    await handle.close();
  }
}

// The backend's error, with a message that names what the command did.
function withMessage(err: unknown, what: string, path: string): unknown {
  if (!(err instanceof FileStoreError)) return err;
  const Class = err.constructor as new (
    message: string,
    options: { cause: unknown },
  ) => FileStoreError;
  const why = err.code === "NOT_FOUND"
    ? `'${path}' does not exist`
    : err.message;
  return new Class(`${what}: ${why}`, { cause: err.cause ?? err });
}

// Streams a file to stdout, as bytes or as `{"base64": "..."}`: never held
// whole, so a file of any size works. Nothing is written before the first
// chunk is read, so a file that cannot be opened prints only the error.
async function cat(
  stream: ReadableStream<Uint8Array>,
  json: boolean,
  out: Output,
): Promise<void> {
  const reader = stream.getReader();
  let next = await reader.read();
  if (json) await out.out('{"base64":"');
  let rest = new Uint8Array(0);
  while (!next.done) {
    if (!json) await out.out(next.value);
    else {
      // Base64 of whole 3-byte groups; the rest waits for the next chunk.
      const joined = new Uint8Array(rest.length + next.value.length);
      joined.set(rest);
      joined.set(next.value, rest.length);
      const cut = joined.length - (joined.length % 3);
      await out.out(toBase64(joined.subarray(0, cut)));
      rest = joined.slice(cut);
    }
    next = await reader.read();
  }
  if (json) await out.out(toBase64(rest) + '"}\n');
}

function toBase64(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
