// A worker for tests/cluster_test.ts, run on a namespaced host of
// scripts/cluster.sh under Deno, Node or Bun, on the runtime's default
// backend and a store opened with `shared: true` (with `exclusiveNames:
// false` where $EXCLUSIVE_NAMES is "false", without it where $SHARED is
// "false"). Usage:
//   prepare DIR                   prepare the store, print "prepared"
//   produce DIR COUNT TAG         deliver COUNT self-checking files "TAG:i:..."
//   consume DIR OUT LEASE         consume (watch, poll 200 ms, housekeeping
//                                 every 500 ms with lease LEASE) until
//                                 its stdin ends; check each body, append
//                                 "body-head pid host ms" to OUT before done();
//                                 print the result as JSON
//   tick DIR COUNT GAP            deliver COUNT files GAP ms apart, each
//                                 tagged with the time of its delivery
//   hold DIR COUNT                claim up to COUNT files (no renewal), print
//                                 "held N", wait to be killed
//   long DIR OUT LEASE MS         consume one file with lease LEASE and a
//                                 handler of MS milliseconds, log as consume,
//                                 print the result as JSON
//   house DIR LEASE MS            recover() with lease LEASE every 200 ms for
//                                 MS milliseconds, print what it took as JSON
//   steal DIR                     for each line on stdin: recover every claim
//                                 (olderThan 0), print how many
//   owner DIR                     for each line on stdin: claim a file, read
//                                 it, print "claimed", wait for a line, read
//                                 it again, then done(); print "done" or the
//                                 error's code
//   race DIR COUNT AT             at epoch ms AT, deliver COUNT files named
//                                 n0..n(COUNT-1); print how many were accepted
//   named DIR                     deliver one file named "chosen"; print "ok"
//                                 or the error's code
//   fs OP PATH [PATH2]            one filesystem call on the backend, print
//                                 "ok" (or the value) or the error's code:
//                                 create (exclusive), write, read, link,
//                                 rename, unlink, utime (to PATH2 ms), mtime,
//                                 list
import { appendFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { FileStore } from "../mod.ts";
import { nodeFileSystem } from "../src/backends/node.ts";

const [mode, dir, ...rest] = process.argv.slice(2);
const host = (await import("node:os")).hostname();

const shared = process.env.SHARED === "false"
  ? false
  : process.env.EXCLUSIVE_NAMES === "false"
  ? { exclusiveNames: false }
  : true;

function open(extra: ConstructorParameters<typeof FileStore>[1] = {}) {
  return new FileStore(dir!, {
    durability: "none",
    backoff: false,
    shared,
    ...extra,
  });
}

/** The body of file `i` of `tag`: its head, then a checkable filling. */
function body(tag: string, i: number): string {
  return `${tag}:${i}:` + String.fromCharCode(97 + (i % 26)).repeat(i % 3000);
}

/** Throws unless `text` is exactly what body() made for its head. */
function check(text: string): string {
  const [tag, i] = text.split(":");
  if (body(tag!, Number(i)) !== text) {
    throw new Error(`damaged: ${text.slice(0, 40)} (${text.length} bytes)`);
  }
  return `${tag}:${i}`;
}

const lines = createInterface({ input: process.stdin });
const nextLine = (() => {
  const queue: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  lines.on("line", (l) => {
    const waiter = waiting.shift();
    if (waiter) waiter(l);
    else queue.push(l);
  });
  lines.on("close", () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return () =>
    new Promise<string | undefined>((resolve) => {
      if (queue.length) resolve(queue.shift());
      else if (closed) resolve(undefined);
      else waiting.push(resolve);
    });
})();

const code = (err: unknown) => (err as { code?: string }).code ?? String(err);

if (mode === "prepare") {
  await open().prepare();
  console.log("prepared");
} else if (mode === "produce") {
  const [count, tag] = rest;
  const store = open();
  for (let i = 0; i < Number(count); i++) await store.deliver(body(tag!, i));
  console.log("produced");
} else if (mode === "consume" || mode === "long") {
  const [out, lease, ms] = rest;
  const stop = new AbortController();
  process.on("SIGTERM", () => stop.abort());
  lines.on("close", () => stop.abort());
  const store = open({ lease: Number(lease) });
  let taken = 0;
  const result = await store.consume(async (claim) => {
    const head = check(await claim.text());
    if (mode === "long") {
      taken++;
      await new Promise((r) => setTimeout(r, Number(ms)));
    }
    appendFileSync(out!, `${head} ${process.pid} ${host} ${Date.now()}\n`);
    if (mode === "long" && taken === 1) stop.abort();
  }, {
    watch: true,
    signal: stop.signal,
    pollInterval: 200,
    lease: Number(lease),
    housekeeping: { interval: 500 },
    onError: (err) => console.error(`${host}: ${String(err)}`),
  });
  console.log(JSON.stringify(result));
} else if (mode === "tick") {
  const [count, gap] = rest;
  const store = open();
  for (let i = 0; i < Number(count); i++) {
    await new Promise((r) => setTimeout(r, Number(gap)));
    await store.deliver(body(`t${Date.now()}`, i));
  }
  console.log("produced");
} else if (mode === "hold") {
  const store = open({ lease: 600_000 });
  let held = 0;
  while (held < Number(rest[0]) && await store.claim()) held++;
  console.log(`held ${held}`);
  await new Promise(() => {});
} else if (mode === "house") {
  const [lease, ms] = rest;
  const store = open({ lease: Number(lease) });
  const took: string[] = [];
  const end = Date.now() + Number(ms);
  while (Date.now() < end) {
    took.push(...await store.recover());
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(JSON.stringify({ took, now: Date.now() }));
} else if (mode === "steal") {
  const store = open();
  while (await nextLine() !== undefined) {
    console.log((await store.recover({ olderThan: 0 })).length);
  }
} else if (mode === "owner") {
  const store = open({ lease: 600_000 });
  while (await nextLine() !== undefined) {
    const claim = await store.claim();
    if (!claim) {
      console.log("empty");
      continue;
    }
    await claim.text(); // the handler reads it: the name is in the caches
    console.log("claimed");
    await nextLine();
    try {
      // Read again just before: this client's caches know the name.
      await claim.text().catch(() => {});
      await claim.done();
      console.log("done");
    } catch (err) {
      console.log(code(err));
    }
  }
} else if (mode === "race") {
  const [count, at] = rest;
  const store = open();
  await store.stats(); // opened before the start
  await new Promise((r) => setTimeout(r, Number(at) - Date.now()));
  let accepted = 0;
  for (let i = 0; i < Number(count); i++) {
    try {
      await store.deliver(`${host}:${i}`, { name: `n${i}` });
      accepted++;
    } catch (err) {
      if (code(err) !== "ALREADY_EXISTS") throw err;
    }
  }
  console.log(accepted);
} else if (mode === "named") {
  try {
    await open().deliver("x", { name: "chosen" });
    console.log("ok");
  } catch (err) {
    console.log(code(err));
  }
} else if (mode === "fs") {
  const fs = nodeFileSystem();
  const [op, path, path2] = [dir!, rest[0]!, rest[1]];
  try {
    let value: unknown = "ok";
    if (op === "create") {
      const file = await fs.open(path, { createNew: true, write: true });
      await file.close();
    } else if (op === "write") {
      const file = await fs.open(path, {
        create: true,
        truncate: true,
        write: true,
      });
      await file.write(new TextEncoder().encode(path2 ?? host));
      await file.close();
    } else if (op === "read") {
      value = new TextDecoder().decode(await fs.readFile(path));
    } else if (op === "link") await fs.link(path, path2!);
    else if (op === "rename") await fs.rename(path, path2!);
    else if (op === "unlink") await fs.unlink(path);
    else if (op === "utime") {
      await fs.utime(path, Number(path2), Number(path2));
    } else if (op === "mtime") value = (await fs.lstat(path)).mtime;
    else if (op === "list") {
      const names: string[] = [];
      for (const e of await fs.readDir(path)) names.push(e.name);
      value = names.sort().join(",");
    } else throw new Error(`unknown fs operation ${op}`);
    console.log(value);
  } catch (err) {
    console.log(code(err));
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.exit(0);
