// A worker process for the multi-process tests, on the runtime's default
// backend. Usage:
//   produce DIR COUNT TAG          deliver COUNT files "TAG:i"
//   stream DIR                     deliver self-checking 256 KiB files forever
//   consume DIR OUT                consume with watch until SIGTERM; append
//                                  each body to OUT before finishing it
//   prepare DIR                    prepare the store, print "prepared"
//   try DIR                        deliver one file, claim one; print what
//                                  each did as JSON (error name and code)
//   hold DIR                       finish one claim with keep, claim another,
//                                  print both entries, then wait to be killed
import { appendFileSync } from "node:fs";
import process from "node:process";
import { FileStore } from "../mod.ts";

const [mode, dir, ...rest] = process.argv.slice(2);

const store = new FileStore(dir!, { durability: "none" });

async function* selfChecking(
  size: number,
  fill: number,
): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(`${size}\n`);
  for (let sent = 0; sent < size; sent += 4096) {
    yield new Uint8Array(4096).fill(fill);
  }
}

if (mode === "prepare") {
  await new FileStore(dir!).prepare();
  process.stdout.write("prepared\n");
} else if (mode === "try") {
  const outcome = async (fn: () => Promise<unknown>) => {
    try {
      return { ok: await fn() };
    } catch (err) {
      const e = err as { name?: string; code?: string };
      return { error: e.name, code: e.code };
    }
  };
  const deliver = await outcome(() => store.deliver("x"));
  const claim = await outcome(async () => (await store.claim())?.name ?? null);
  process.stdout.write(JSON.stringify({ deliver, claim }) + "\n");
} else if (mode === "produce") {
  const [count, tag] = rest;
  for (let i = 0; i < Number(count); i++) await store.deliver(`${tag}:${i}`);
} else if (mode === "stream") {
  // Each file says how long it is; a partial file would not match.
  for (let i = 0;; i++) {
    await store.deliver(selfChecking(256 * 1024, i % 251), {
      durability: i % 2 ? "none" : "file",
    });
  }
} else if (mode === "consume") {
  const [out] = rest;
  const stop = new AbortController();
  process.on("SIGTERM", () => stop.abort());
  const result = await store.consume(async (claim) => {
    appendFileSync(out!, (await claim.text()) + "\n");
  }, { watch: true, signal: stop.signal, pollInterval: 50 });
  process.stdout.write(JSON.stringify(result) + "\n");
} else if (mode === "hold") {
  const first = await store.claim();
  await first!.done({ keep: true });
  const second = await store.claim();
  process.stdout.write(`${first!.entry}\n${second!.entry}\n`);
  await new Promise(() => setInterval(() => {}, 1000));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
