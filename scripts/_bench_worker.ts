// One benchmark scenario in one process, for scripts/bench.ts: times the
// library and the same work done with the runtime's bare synchronous calls,
// in the same process, alternating, and prints the rates as JSON. Runs under
// Deno (this file) and under Node (compiled against the npm package).
//
// Usage: _bench_worker SCENARIO DIR FILES SIZE RUNS [DURABILITY]
// (FILESTORE_BENCH_FS=node in the environment: the Node backend)
import * as nodeFs from "node:fs";
import process from "node:process";
import { type Durability, FileStore } from "../mod.ts";
import { nodeFileSystem } from "../src/backends/node.ts";
import { Heartbeat } from "../src/_heartbeat.ts";

type Bare = {
  /**
   * A claim's read as the library makes it, after its lstat found a regular
   * file of `size` bytes (readFile's trustedSize): under Node and Bun open
   * (never through a link), read, close; under Deno readFileSync, one op.
   */
  readChecked(path: string, size: number): Uint8Array;
  /** lstat: the size of a regular file, else -1. */
  regularSize(path: string): number;
  writeNew(path: string, data: Uint8Array): void;
  writeSynced(path: string, data: Uint8Array): void;
  syncDir(path: string): void;
  rename(from: string, to: string): void;
  read(path: string): Uint8Array;
  unlink(path: string): void;
  list(path: string): string[];
  listTyped(path: string): string[];
  mkdir(path: string): void;
  rm(path: string): void;
};

const D = (globalThis as { Deno?: typeof Deno }).Deno;

const bare: Bare = D
  ? {
    readChecked: (p) => D.readFileSync(p),
    regularSize: (p) => {
      const s = D.lstatSync(p);
      return s.isFile ? s.size : -1;
    },
    writeNew: (p, d) => D.writeFileSync(p, d, { createNew: true }),
    writeSynced: (p, d) => {
      const f = D.openSync(p, { write: true, createNew: true });
      f.writeSync(d);
      f.syncSync();
      f.close();
    },
    syncDir: (p) => {
      const f = D.openSync(p, { read: true });
      f.syncSync();
      f.close();
    },
    rename: (a, b) => D.renameSync(a, b),
    read: (p) => D.readFileSync(p),
    unlink: (p) => D.removeSync(p),
    list: (p) => Array.from(D.readDirSync(p), (e) => e.name),
    listTyped: (p) => {
      const out: string[] = [];
      for (const e of D.readDirSync(p)) if (e.isFile) out.push(e.name);
      return out;
    },
    mkdir: (p) => D.mkdirSync(p, { recursive: true }),
    rm: (p) => {
      try {
        D.removeSync(p, { recursive: true });
      } catch (err) {
        if (!(err instanceof D.errors.NotFound)) throw err;
      }
    },
  }
  : {
    readChecked: (p, size) => {
      const C = nodeFs.constants;
      const fd = nodeFs.openSync(p, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
      try {
        const buffer = new Uint8Array(size + 1);
        return buffer.subarray(0, nodeFs.readSync(fd, buffer));
      } finally {
        nodeFs.closeSync(fd);
      }
    },
    regularSize: (p) => {
      const s = nodeFs.lstatSync(p);
      return s.isFile() ? s.size : -1;
    },
    writeNew: (p, d) => nodeFs.writeFileSync(p, d, { flag: "wx" }),
    writeSynced: (p, d) => {
      const fd = nodeFs.openSync(p, "wx");
      nodeFs.writeSync(fd, d);
      nodeFs.fsyncSync(fd);
      nodeFs.closeSync(fd);
    },
    syncDir: (p) => {
      const fd = nodeFs.openSync(p, "r");
      nodeFs.fsyncSync(fd);
      nodeFs.closeSync(fd);
    },
    rename: (a, b) => nodeFs.renameSync(a, b),
    read: (p) => nodeFs.readFileSync(p),
    unlink: (p) => nodeFs.unlinkSync(p),
    list: (p) => nodeFs.readdirSync(p),
    listTyped: (p) => {
      const out: string[] = [];
      for (const e of nodeFs.readdirSync(p, { withFileTypes: true })) {
        if (e.isFile()) out.push(e.name);
      }
      return out;
    },
    mkdir: (p) => nodeFs.mkdirSync(p, { recursive: true }),
    rm: (p) => nodeFs.rmSync(p, { recursive: true, force: true }),
  };

const [scenario, dir, filesArg, sizeArg, runsArg, durabilityArg] = process
  .argv.slice(2);
const FILES = Number(filesArg ?? 10000);
const SIZE = Number(sizeArg ?? 1024);
const RUNS = Number(runsArg ?? 3);
// The durability of the deliver and claim scenarios (the others set theirs).
const DURABILITY = (durabilityArg ?? "none") as Durability;
const data = new Uint8Array(SIZE).fill(120);

// The runtime's own backend, or with FILESTORE_BENCH_FS=node the Node
// backend (node:fs) under whatever runtime runs this.
const backend = process.env.FILESTORE_BENCH_FS === "node"
  ? nodeFileSystem()
  : undefined;
function openStore(root: string, durability?: Durability): FileStore {
  return new FileStore(root, {
    ...(durability && { durability }),
    ...(backend && { fs: backend }),
  });
}

function fresh(): string {
  bare.rm(dir!);
  for (const area of ["tmp", "new", "cur"]) bare.mkdir(`${dir}/${area}`);
  return dir!;
}

// Fills `new` quickly with bare calls (not timed).
function fill(root: string, count: number, offset = 0): void {
  for (let i = 0; i < count; i++) {
    const name = `${String(offset + i).padStart(9, "0")}.bench`;
    bare.writeNew(`${root}/new/${name}`, data);
  }
}

const rate = (count: number, ms: number) => Math.round(count / ms * 1000);
const heap = () => process.memoryUsage().heapUsed;

function timedSync(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

// A fresh store with FILES files in `new`.
function filled(): string {
  const root = fresh();
  fill(root, FILES);
  return root;
}

// A full collection (the runtimes run with --expose-gc; Bun has its own).
const g = globalThis as {
  gc?: () => void;
  Bun?: { gc(force: boolean): void };
};
const gc = g.gc ?? (g.Bun ? () => g.Bun!.gc(true) : () => {});

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// Untimed: the same work a few thousand times first, so that the timed runs
// compare compiled code (the rivals in C, Go and Python need no warm-up).
async function warmUp(
  one: (root: string, i: number) => void,
  claims = false,
): Promise<void> {
  const WARM = 3000;
  let root = fresh();
  const store = openStore(root, "none");
  await store.prepare();
  for (let i = 0; i < WARM; i++) await store.deliver(data);
  if (claims) {
    for (let i = 0; i < WARM; i++) {
      const claim = (await store.claim())!;
      await claim.read();
      await claim.done();
    }
  }
  root = fresh();
  for (let i = 0; i < WARM; i++) one(root, i);
}

// FILES deliveries through the library against the same number done by
// `one` with bare calls, alternating, RUNS times, each in a fresh store.
async function deliveries(
  durability: Durability,
  one: (root: string, i: number) => void,
): Promise<Record<string, unknown>> {
  const lib: number[] = [], raw: number[] = [];
  if (durability === "none") await warmUp(one);
  const library = async () => {
    const store = openStore(fresh(), durability);
    await store.prepare();
    lib.push(rate(
      FILES,
      await timed(async () => {
        for (let i = 0; i < FILES; i++) await store.deliver(data);
      }),
    ));
  };
  const bareLoop = async () => {
    const root = fresh();
    raw.push(rate(
      FILES,
      await timed(() => {
        for (let i = 0; i < FILES; i++) one(root, i);
      }),
    ));
  };
  // The library first in even rounds, last in odd ones.
  for (let r = 0; r < RUNS; r++) {
    for (const run of r % 2 ? [bareLoop, library] : [library, bareLoop]) {
      await run();
    }
  }
  return { lib, bare: raw };
}

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  // Delivery of FILES files, library against bare create-write-close +
  // rename (with the fsyncs the durability asks for).
  deliver: () =>
    deliveries(DURABILITY, (root, i) => {
      if (DURABILITY === "none") bare.writeNew(`${root}/tmp/${i}`, data);
      else bare.writeSynced(`${root}/tmp/${i}`, data);
      bare.rename(`${root}/tmp/${i}`, `${root}/new/${i}`);
      if (DURABILITY === "full") bare.syncDir(`${root}/new`);
    }),

  // claim + read + done against bare rename + read + unlink.
  async claim() {
    const lib: number[] = [], raw: number[] = [], checked: number[] = [];
    await warmUp((root, i) => {
      const name = `${i}.bench`;
      bare.writeNew(`${root}/new/${name}`, data);
      bare.rename(`${root}/new/${name}`, `${root}/cur/${name}`);
      bare.read(`${root}/cur/${name}`);
      bare.unlink(`${root}/cur/${name}`);
    }, true);
    const library = async () => {
      const store = openStore(filled(), DURABILITY);
      lib.push(rate(
        FILES,
        await timed(async () => {
          for (let i = 0; i < FILES; i++) {
            const claim = (await store.claim())!;
            await claim.read();
            await claim.done();
          }
        }),
      ));
    };
    const bareLoop = () => {
      const root = filled();
      raw.push(rate(
        FILES,
        timedSync(() => {
          const names = bare.list(`${root}/new`).sort();
          for (const name of names) {
            bare.rename(`${root}/new/${name}`, `${root}/cur/${name}`);
            bare.read(`${root}/cur/${name}`);
            bare.unlink(`${root}/cur/${name}`);
            // What done() does under "full": fsync the area it changed.
            if (DURABILITY === "full") bare.syncDir(`${root}/cur`);
          }
        }),
      ));
    };
    // The same bare loop with the library's checks against hostile
    // producers: an lstat after the claim's rename, whose size the read
    // then trusts (readChecked).
    const checkedLoop = () => {
      const root = filled();
      checked.push(rate(
        FILES,
        timedSync(() => {
          const names = bare.list(`${root}/new`).sort();
          for (const name of names) {
            bare.rename(`${root}/new/${name}`, `${root}/cur/${name}`);
            const size = bare.regularSize(`${root}/cur/${name}`);
            if (size < 0) throw new Error(name);
            bare.readChecked(`${root}/cur/${name}`, size);
            bare.unlink(`${root}/cur/${name}`);
            if (DURABILITY === "full") bare.syncDir(`${root}/cur`);
          }
        }),
      ));
    };
    // The library first in even rounds, last in odd ones.
    for (let r = 0; r < RUNS; r++) {
      const order = [library, bareLoop, checkedLoop];
      for (const run of r % 2 ? order.reverse() : order) await run();
    }
    return { lib, bare: raw, checked };
  },

  // Durable delivery (file and directory fsync) on the directory given.
  durable: () =>
    deliveries("full", (root, i) => {
      bare.writeSynced(`${root}/tmp/${i}`, data);
      bare.rename(`${root}/tmp/${i}`, `${root}/new/${i}`);
      bare.syncDir(`${root}/new`);
    }),

  // deliverMany in batches of 100 against one durable delivery at a time.
  async batch() {
    const single: number[] = [], batched: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let root = fresh();
      let store = openStore(root, "full");
      await store.prepare();
      const few = Math.max(50, Math.floor(FILES / 10));
      single.push(rate(
        few,
        await timed(async () => {
          for (let i = 0; i < few; i++) await store.deliver(data);
        }),
      ));
      root = fresh();
      store = openStore(root, "full");
      const batch = Array.from({ length: 100 }, () => data);
      batched.push(rate(
        FILES,
        await timed(async () => {
          for (let i = 0; i < FILES; i += 100) await store.deliverMany(batch);
        }),
      ));
    }
    return { single, batched };
  },

  // list("new") of FILES files against one bare directory listing; and the
  // heap that list() and walk() need while going through them.
  async list() {
    const root = fresh();
    fill(root, FILES);
    const store = openStore(root);
    const lib: number[] = [], raw: number[] = [], typed: number[] = [];
    const sorted: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      lib.push(await timed(() => store.list("new").then(() => {})));
      raw.push(await timed(() => void bare.list(`${root}/new`)));
      typed.push(await timed(() => void bare.listTyped(`${root}/new`)));
      // What list() returns beyond the typed listing: full paths, sorted.
      sorted.push(
        await timed(() =>
          void bare.listTyped(`${root}/new`).map((n) => `${root}/new/${n}`)
            .sort()
        ),
      );
    }
    // Heap still held (after a collection) while going through the area:
    // list() holds every path, walk() only the entries in flight.
    const held = async (walk: boolean): Promise<number> => {
      gc();
      const base = heap();
      let peak = 0;
      let seen = 0;
      if (walk) {
        for await (const _ of store.walk("new")) {
          if (++seen % 10000 === 0) {
            gc();
            peak = Math.max(peak, heap() - base);
          }
        }
      } else {
        const paths = await store.list("new");
        gc();
        peak = heap() - base;
        seen = paths.length;
      }
      if (seen !== FILES) throw new Error(`saw ${seen} of ${FILES}`);
      return Math.round(peak / 1024);
    };
    return {
      libMs: lib,
      bareMs: raw,
      typedMs: typed,
      sortedMs: sorted,
      listHeapKiB: await held(false),
      walkHeapKiB: await held(true),
    };
  },

  // Per-file cost of draining a queue of FILES waiting files against one of
  // 1000 (the listing is read once per round, not per claim), and of
  // delivering 5000 files into a directory that holds FILES against an
  // empty one. The garbage of filling the queue is collected before each
  // timed part, on both sides.
  async scale() {
    const drain = async (waiting: number) => {
      const root = fresh();
      fill(root, waiting);
      const store = openStore(root, "none");
      gc();
      return rate(
        waiting,
        await timed(async () => {
          for (let i = 0; i < waiting; i++) await (await store.claim())!.done();
        }),
      );
    };
    const deliver = async (waiting: number) => {
      const root = fresh();
      fill(root, waiting);
      const store = openStore(root, "none");
      gc();
      return rate(
        5000,
        await timed(async () => {
          for (let i = 0; i < 5000; i++) await store.deliver(data);
        }),
      );
    };
    // Claiming 60,000 ready files with FILES delayed ones waiting in `wait`
    // (due in a day) against none: files that wait must cost the claims of
    // ready ones nothing (a listing of `wait` reads its top and the
    // directories whose time has come; 60,000 claims take longer than the
    // second between two listings, so the listings are counted).
    const READY = 60_000;
    const delayed = async (waiting: number) => {
      const root = fresh();
      fill(root, READY);
      // In the directory of their due time (PROTOCOL.md, "The layout of
      // wait"), as deliver(data, { delay }) puts them.
      const at = Date.now() + 86_400_000;
      const due = at.toString(36);
      const bucket = `${root}/wait/${Math.floor(at / 2 ** 26).toString(36)}/${
        Math.floor(at / 2 ** 16).toString(36)
      }`;
      bare.mkdir(`${root}/wait`);
      bare.mkdir(bucket.slice(0, bucket.lastIndexOf("/")));
      bare.mkdir(bucket);
      for (let i = 0; i < waiting; i++) {
        bare.writeNew(`${bucket}/d${i}~0.w.${due}.1.0000000000.1.1`, data);
      }
      const store = openStore(root, "none");
      return rate(
        READY,
        await timed(async () => {
          for (let i = 0; i < READY; i++) await (await store.claim())!.done();
        }),
      );
    };
    // The heartbeat consume() runs under each handler (the claim added to
    // its one timer's list, then removed when the handler returns) against
    // none, on 20,000 claims of a handler that does nothing.
    const beating = async (beat: boolean) => {
      const root = fresh();
      fill(root, 20_000);
      const store = openStore(root, "none");
      const beats = new Heartbeat(600_000);
      try {
        return rate(
          20_000,
          await timed(async () => {
            for (let i = 0; i < 20_000; i++) {
              const claim = (await store.claim())!;
              if (beat) beats.add(claim);
              await claim.done();
              if (beat) beats.remove(claim);
            }
          }),
        );
      } finally {
        beats.close();
      }
    };
    const out: Record<string, number[]> = {
      heartbeat: [],
      noHeartbeat: [],
      claimSmall: [],
      claimLarge: [],
      deliverSmall: [],
      deliverLarge: [],
      claimDelayed: [],
      claimUndelayed: [],
    };
    // Each pair in one order in even rounds and the other in odd ones, so
    // that what one run leaves behind (garbage, a grown heap) weighs on
    // both sides alike.
    const both = async (
      r: number,
      [a, runA]: [string, () => Promise<number>],
      [b, runB]: [string, () => Promise<number>],
    ) => {
      if (r % 2) out[b]!.push(await runB());
      out[a]!.push(await runA());
      if (!(r % 2)) out[b]!.push(await runB());
    };
    for (let r = 0; r < RUNS; r++) {
      await both(r, ["claimSmall", () => drain(1000)], [
        "claimLarge",
        () => drain(FILES),
      ]);
      await both(r, ["deliverSmall", () => deliver(0)], [
        "deliverLarge",
        () => deliver(FILES),
      ]);
      await both(r, ["claimUndelayed", () => delayed(0)], [
        "claimDelayed",
        () => delayed(FILES),
      ]);
      await both(r, ["noHeartbeat", () => beating(false)], [
        "heartbeat",
        () => beating(true),
      ]);
    }
    return out;
  },

  // A consumer draining a queue that another process filled with FILES
  // files: rate and peak resident memory.
  async drain() {
    const store = openStore(dir!, "none");
    const start = process.memoryUsage().rss;
    let peak = start;
    let handled = 0;
    const ms = await timed(async () => {
      await store.consume(async (claim) => {
        await claim.read();
        if (++handled % 1000 === 0) {
          peak = Math.max(peak, process.memoryUsage().rss);
        }
      });
    });
    if (handled !== FILES) throw new Error(`drained ${handled} of ${FILES}`);
    return {
      rate: rate(handled, ms),
      peakMiB: Math.round(peak / 1048576),
      startMiB: Math.round(start / 1048576),
    };
  },

  // The floor under the drain's memory: the resident memory of a process
  // that only lists the queue with the runtime's bare call (the library
  // needs that listing once per round).
  listrss() {
    const start = process.memoryUsage().rss;
    const names = bare.list(`${dir}/new`);
    const peak = process.memoryUsage().rss;
    if (names.length !== FILES) throw new Error(`listed ${names.length}`);
    return Promise.resolve({
      peakMiB: Math.round(peak / 1048576),
      startMiB: Math.round(start / 1048576),
    });
  },

  // What bounds the drain's memory: the bare loop making the library's
  // calls (a typed listing, then rename, lstat, trusted read, unlink),
  // draining the same queue, its resident memory sampled as the drain's is.
  barerss() {
    const start = process.memoryUsage().rss;
    let peak = start;
    let handled = 0;
    const ms = timedSync(() => {
      for (const name of bare.listTyped(`${dir}/new`).sort()) {
        bare.rename(`${dir}/new/${name}`, `${dir}/cur/${name}`);
        const size = bare.regularSize(`${dir}/cur/${name}`);
        if (size < 0) throw new Error(name);
        bare.readChecked(`${dir}/cur/${name}`, size);
        bare.unlink(`${dir}/cur/${name}`);
        if (++handled % 1000 === 0) {
          peak = Math.max(peak, process.memoryUsage().rss);
        }
      }
    });
    if (handled !== FILES) throw new Error(`drained ${handled} of ${FILES}`);
    return Promise.resolve({
      rate: rate(handled, ms),
      peakMiB: Math.round(peak / 1048576),
      startMiB: Math.round(start / 1048576),
    });
  },

  // consume() with concurrency 1 against 4.
  async concurrency() {
    const out: Record<string, number[]> = { one: [], four: [] };
    for (let r = 0; r < RUNS; r++) {
      for (const [key, concurrency] of [["one", 1], ["four", 4]] as const) {
        const root = fresh();
        fill(root, FILES);
        const store = openStore(root, "none");
        out[key]!.push(rate(
          FILES,
          await timed(async () => {
            await store.consume(async (c) => {
              await c.read();
            }, { concurrency });
          }),
        ));
      }
    }
    return out;
  },

  // For the multi-process run: deliver FILES files, or consume until the
  // file DIR.done exists and new is empty.
  async produce() {
    const store = openStore(dir!, "none");
    for (let i = 0; i < FILES; i++) await store.deliver(data);
    return {};
  },
  async consume() {
    const store = openStore(dir!, "none");
    let handled = 0;
    while (true) {
      // Checked before the round: if the producers had finished and the
      // round found nothing, nothing is left.
      const finished = nodeFs.existsSync(`${dir}.done`);
      const result = await store.consume(async (c) => {
        await c.read();
      });
      handled += result.handled;
      if (result.handled === 0) {
        if (finished) break;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    return { handled };
  },
};

const run = scenarios[scenario!];
if (!run) {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}
console.log(JSON.stringify(await run()));
