// A worker process for the multi-process tests, on the runtime's default
// backend. Usage:
//   produce DIR COUNT TAG          deliver COUNT files "TAG:i"
//   stream DIR                     deliver self-checking 256 KiB files forever
//   consume DIR OUT                consume with watch until SIGTERM; append
//                                  each body to OUT before finishing it
//   prepare DIR                    prepare the store, print "prepared"
//   try DIR                        deliver one file, claim one; print what
//                                  each did as JSON (error name and code)
//   try DIR delay                  deliver one file with a delay of a minute,
//                                  then one at once; print both as for try
//   hold DIR                       finish one claim with keep, claim another,
//                                  print both entries, then wait to be killed
//   orphan DIR COUNT               deliver COUNT files "i", claim them all,
//                                  print "claimed", exit without finishing
//   recover DIR AGE                recover({ olderThan: AGE }), print the count
//   holdfail DIR                   claim every file, print "ready", wait for a
//                                  line on stdin, then fail() each; print
//                                  how many failed and how many were lost
//   flip DIR SECRET COUNT          an attacker: COUNT times, put a regular file
//                                  at new/x, then a symbolic link to SECRET
//                                  in its place (rename over it)
//   swap DIR SECRET COUNT          an attacker: deliver COUNT files, renaming
//                                  a symbolic link to SECRET over each one
//                                  right after it was delivered
//   limits DIR                     under a low `ulimit -n`: deliverMany() of
//                                  200 files, then consume() them 80 at a
//                                  time with handlers holding a file open;
//                                  print what happened as JSON
//   timed DIR OUT MODE             a consumer for the time tests, logging
//                                  "body attempts ms" per handling to OUT:
//                                  due (watch; until SIGTERM), flaky (fails
//                                  "bad" three times, backoff 200 ms x2),
//                                  slow (lease 0.6 s, a 2 s handler), hang
//                                  (a handler that never returns, timeout
//                                  300 ms), outage (every handler fails until
//                                  $OUTAGE_MS from the first handling, the
//                                  default backoff in
//                                  thousandths), house (housekeeping only);
//                                  prints the result as JSON
//   killat DIR OP N                set up for OP (deliver, release, fail, dead,
//                                  recover, done, requeue, purge), then run
//                                  it and SIGKILL
//                                  this process just before its Nth
//                                  filesystem call; print "finished" if it
//                                  made fewer calls
import { appendFileSync } from "node:fs";
import process from "node:process";
import { FileStore } from "../mod.ts";
import { nodeFileSystem } from "../src/backends/node.ts";

const [mode, dir, ...rest] = process.argv.slice(2);

// Retries at once: these workers test moves, not waits.
const store = new FileStore(dir!, { durability: "none", backoff: false });

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
  if (rest[0] === "delay") {
    const delayed = await outcome(() => store.deliver("d", { delay: 60_000 }));
    const now = await outcome(() => store.deliver("n", { name: "n" }));
    process.stdout.write(JSON.stringify({ delayed, now }) + "\n");
  } else {
    const deliver = await outcome(() => store.deliver("x"));
    const claim = await outcome(async () =>
      (await store.claim())?.name ?? null
    );
    process.stdout.write(JSON.stringify({ deliver, claim }) + "\n");
  }
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
} else if (mode === "orphan") {
  const count = Number(rest[0]);
  await store.prepare();
  await store.deliverMany(
    Array.from({ length: count }, (_, i) => ({ data: `${i}`, name: `f${i}` })),
  );
  const held = [];
  for (let c = await store.claim(); c; c = await store.claim()) held.push(c);
  process.stdout.write(`claimed ${held.length}\n`);
  process.exit(0); // no claim finished: its holder is gone
} else if (mode === "recover") {
  const recovered = await store.recover({ olderThan: Number(rest[0]) });
  process.stdout.write(`${recovered.length}\n`);
} else if (mode === "holdfail") {
  const held = [];
  for (let c = await store.claim(); c; c = await store.claim()) held.push(c);
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  let failed = 0, lost = 0;
  for (const claim of held) {
    try {
      await claim.fail();
      failed++;
    } catch (err) {
      if ((err as { code?: string }).code !== "CLAIM_LOST") throw err;
      lost++;
    }
  }
  process.stdout.write(JSON.stringify({ failed, lost }) + "\n");
  process.exit(0);
} else if (mode === "flip" || mode === "swap") {
  const { renameSync, symlinkSync, writeFileSync } = await import("node:fs");
  const [secret, count] = rest;
  for (let i = 0; i < Number(count); i++) {
    const target = mode === "flip" ? `${dir}/new/x` : `${dir}/new/f${i}`;
    if (mode === "flip") {
      writeFileSync(`${dir}/new/.f`, "harmless");
      renameSync(`${dir}/new/.f`, target);
    } else {
      await store.deliver("harmless", { name: `f${i}` });
    }
    try {
      symlinkSync(secret!, `${dir}/new/.l`);
      renameSync(`${dir}/new/.l`, target);
    } catch {
      // claimed meanwhile: the next one
    }
  }
} else if (mode === "limits") {
  // Deno sets up its signal handling (a pipe) the first time anything asks
  // for a signal, and panics if that happens while this test has used up
  // every descriptor: it is asked for here, before the descriptors run out.
  process.on("SIGUSR2", () => {});
  const fresh = new FileStore(dir!, { durability: "full", backoff: false });
  await fresh.prepare();
  const report: Record<string, unknown> = {};
  try {
    const names = await fresh.deliverMany(
      Array.from({ length: 200 }, (_, i) => `${i}`),
    );
    report.delivered = names.length;
  } catch (err) {
    report.deliverError = String(err);
  }
  const result = await fresh.consume(async (claim) => {
    // Each handler holds a file open a while: 80 of them exceed 64.
    const reader = claim.stream().getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 5));
    await reader.cancel();
  }, {
    concurrency: 80,
    onError: (err) => {
      if ((err as { code?: string }).code === "TOO_MANY_OPEN_FILES") {
        report.pressure = ((report.pressure as number) ?? 0) + 1;
      }
    },
  });
  report.result = result;
  report.left = {
    new: (await fresh.list("new")).length,
    cur: (await fresh.list("cur")).length,
    dead: (await fresh.list("dead")).length,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
} else if (mode === "timed") {
  const [out, kind] = rest;
  const { retryDelay, DEFAULT_BACKOFF } = await import("../src/_backoff.ts");
  const stop = new AbortController();
  process.on("SIGTERM", () => stop.abort());
  const errors: string[] = [];
  const timed = new FileStore(dir!, {
    durability: "none",
    ...(kind === "house" ? { backoff: false as const } : {}),
  });
  const log = (body: string, attempts: number) =>
    appendFileSync(out!, `${body} ${attempts} ${Date.now()}\n`);
  // The outage starts with the first handling, however long this process
  // took to start.
  let outageUntil = 0;
  const result = await timed.consume(async (claim) => {
    outageUntil ||= Date.now() + Number(process.env.OUTAGE_MS);
    const body = await claim.text();
    log(body, claim.attempts);
    if (kind === "flaky" && body === "bad" && claim.attempts < 3) {
      throw new Error("not yet");
    }
    if (kind === "slow") await new Promise((r) => setTimeout(r, 2000));
    if (kind === "hang") await new Promise(() => {});
    if (kind === "outage" && Date.now() < outageUntil) {
      throw new Error("downstream is down");
    }
  }, {
    signal: stop.signal,
    watch: kind !== "slow" && kind !== "hang",
    pollInterval: 50,
    ...(kind === "flaky"
      ? { backoff: { initial: 200, factor: 2, jitter: false } }
      : {}),
    ...(kind === "slow" ? { lease: 600 } : {}),
    ...(kind === "hang" ? { timeout: 300, maxAttempts: 1 } : {}),
    ...(kind === "outage"
      ? { backoff: (n: number) => retryDelay(DEFAULT_BACKOFF, n) / 1000 }
      : {}),
    ...(kind === "house" ? { backoff: false as const, lease: 60_000 } : {}),
    onError: (err) => errors.push((err as Error).name),
  });
  process.stdout.write(JSON.stringify({ ...result, errors }) + "\n");
  process.exit(0);
} else if (mode === "killat") {
  const [op, n] = rest;
  let armed = false;
  let calls = 0;
  const inner = nodeFileSystem();
  const fs = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (armed && key !== "processAlive" && ++calls === Number(n)) {
          process.kill(process.pid, "SIGKILL");
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const clock = { ahead: 0 };
  const s = new FileStore(dir!, {
    backoff: false,
    fs,
    durability: "full",
    maxAttempts: ["dead", "requeue", "purge"].includes(op!) ? 2 : 5,
    now: () => Date.now() + clock.ahead,
  });
  await s.prepare();
  if (op === "deliver") {
    armed = true;
    await s.deliver("x", { name: "x" });
  } else {
    await s.deliver("x", { name: "x" });
    // A first failure, so the file carries a reason that the next step
    // replaces (fail, dead), keeps (release, recover) or removes (done).
    await (await s.claim())!.fail(new Error("first"));
    const claim = (await s.claim())!;
    if (op === "recover") clock.ahead = 3_600_000;
    if (op === "requeue" || op === "purge") {
      // A dead letter, with its reason, to requeue or purge.
      const { path } = await claim.fail("second");
      armed = true;
      if (op === "requeue") await s.requeue(path);
      else await s.purge("dead", { olderThan: 0 });
      process.stdout.write(`finished ${calls}\n`);
      process.exit(0);
    }
    armed = true;
    if (op === "release") await claim.release();
    else if (op === "fail" || op === "dead") await claim.fail("second");
    else if (op === "done") await claim.done();
    else await s.recover();
  }
  process.stdout.write(`finished ${calls}\n`);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
