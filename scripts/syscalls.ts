// The system calls of the hot paths, counted with strace: for each runtime,
// the calls per delivery and per claim with read and done, each named
// against the four and five calls of the bare C loop, with the reason for
// every call beyond them. Run by `deno task bench` (its "System calls"
// section), or alone: `deno run -A scripts/syscalls.ts [--files N]`.
//
// strace -f -y follows every thread and prints each descriptor's path, so
// only calls on the store's own paths and descriptors between the worker's
// markers are counted: the runtime's own work (timers, the event loop,
// module loading) is not.
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** What the bare C loop makes per file: the floor. */
export const C_CALLS: Record<Phase, Record<string, number>> = {
  deliver: { openat: 1, write: 1, close: 1, rename: 1 },
  claim: { rename: 1, openat: 1, read: 1, close: 1, unlink: 1 },
};

export type Phase = "deliver" | "claim";

/**
 * Why a call the C loop does not make is on the path: by runtime and call,
 * else by call.
 */
const WHY: Record<Phase, Record<string, string>> = {
  deliver: {
    "bun:ftruncate":
      "Bun's own, inside its open of a new file (Node makes the same library calls without it)",
  },
  claim: {
    "deno:statx":
      "1: lstat after the claim's rename, so that a link, FIFO or device put in `new` is set aside, never handed out (hostile input); its size lets the read skip the backend's own lstat (readFile's trustedSize); 2: the fstat inside Deno.readFileSync, which reads the trusted claim in one op where an open, a read and a close are three (an op costs more than these calls: the bench's claim row); 3: Deno.removeSync's own lstat before its unlink (Deno has no call that unlinks without it)",
    "deno:lseek": "inside Deno.readFileSync (one op, as statx 2 says)",
    "deno:read":
      "the read that finds the end, inside Deno.readFileSync (one op, as statx 2 says)",
    "deno+node:fs:statx":
      "1: lstat after the claim's rename (hostile input, as above); 2: the lstat that Deno's node:fs unlinkSync makes before its unlink",
    statx:
      "1: lstat after the claim's rename, so that a link, FIFO or device put in `new` is set aside, never handed out (hostile input); its size lets the read skip the fstat (readFile's trustedSize; O_NOFOLLOW and O_NONBLOCK stay)",
    newfstatat: "as statx, on systems without it",
    fstat: "as statx, on systems without it",
    getdents64: "the listing of `new`, shared by many claims",
    lseek: "the runtime's own read of a whole file",
  },
};

export interface Counted {
  runtime: string;
  phase: Phase;
  /** Calls per file, by name. */
  calls: Record<string, number>;
}

function count(log: string, dir: string, phase: Phase, files: number) {
  const calls: Record<string, number> = {};
  let inside = false;
  for (const raw of log.split("\n")) {
    // "PID name(args) = result" (strace -f); resumed halves are skipped
    const line = raw.replace(/^\d+\s+/, "");
    if (line.includes(`/filestore-syscalls-${phase}-begin`)) inside = true;
    else if (line.includes(`/filestore-syscalls-${phase}-end`)) inside = false;
    else if (inside && line.includes(dir) && !line.startsWith("<...")) {
      const name = line.match(/^(\w+)\(/)?.[1];
      if (name) calls[name] = (calls[name] ?? 0) + 1;
    }
  }
  for (const k of Object.keys(calls)) calls[k] = calls[k]! / files;
  return calls;
}

/** Counts the calls of each runtime; undefined without strace. */
export async function countSyscalls(
  runtimes: [string, string[], Record<string, string>][],
  base: string,
  files = 2000,
): Promise<Counted[] | undefined> {
  const has = await new Deno.Command("strace", { args: ["-V"], stdout: "null" })
    .output().then((o) => o.success, () => false);
  if (!has) return undefined;
  const results: Counted[] = [];
  for (const [runtime, command, env] of runtimes) {
    const dir = `${base}/filestore-syscalls-${Deno.pid}-${results.length}`;
    const log = `${dir}.strace`;
    const out = await new Deno.Command("strace", {
      args: [
        "-f",
        "-y",
        "-qq",
        "-s",
        "0",
        "-o",
        log,
        ...command,
        dir,
        String(files),
      ],
      env,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const text = await Deno.readTextFile(log);
    await Deno.remove(log);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (!out.success) throw new Error(`strace of ${runtime} failed`);
    for (const phase of ["deliver", "claim"] as const) {
      results.push({ runtime, phase, calls: count(text, dir, phase, files) });
    }
  }
  return results;
}

/** The table: each runtime's calls per file against C's, with reasons. */
export function syscallTable(counted: Counted[]): string {
  const lines: string[] = [];
  for (const phase of ["deliver", "claim"] as const) {
    const floor = C_CALLS[phase];
    const total = (c: Record<string, number>) =>
      Object.values(c).reduce((a, b) => a + b, 0);
    lines.push(
      `${phase === "deliver" ? "deliver" : "claim+read+done"}: C makes ${
        total(floor)
      } (${
        Object.entries(floor).map(([k, v]) => v > 1 ? `${k} x${v}` : k).join(
          ", ",
        )
      })`,
    );
    for (const c of counted.filter((c) => c.phase === phase)) {
      const shown = Object.entries(c.calls)
        .filter(([, v]) => v >= 0.01)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${Number(v.toFixed(2))}`);
      lines.push(
        `  ${c.runtime.padEnd(13)} ${total(c.calls).toFixed(2)}: ${
          shown.join(", ")
        }`,
      );
      for (const [name, n] of Object.entries(c.calls)) {
        const extra = n - (floor[name] ?? 0);
        if (extra < 0.05) continue;
        lines.push(
          `    +${Number(extra.toFixed(2))} ${name}: ${
            WHY[phase][`${c.runtime}:${name}`] ?? WHY[phase][name] ??
              "NOT JUSTIFIED: a call the C loop does not make"
          }`,
        );
      }
    }
  }
  return lines.join("\n");
}

/** The worker under each runtime: Deno on the sources, Node and Bun built. */
export async function syscallRuntimes(): Promise<
  [string, string[], Record<string, string>][]
> {
  const worker = `${root}scripts/_syscall_worker.ts`;
  const built = `${root}build/node-test/scripts/_syscall_worker.js`;
  const runtimes: [string, string[], Record<string, string>][] = [
    ["deno", [Deno.execPath(), "run", "-A", worker], {}],
    ["deno+node:fs", [Deno.execPath(), "run", "-A", worker], {
      FILESTORE_BENCH_FS: "node",
    }],
  ];
  if (await Deno.stat(built).then(() => true, () => false)) {
    runtimes.push(["node", ["node", built], {}]);
    runtimes.push(["bun", [`${root}node_modules/.bin/bun`, built], {}]);
  }
  return runtimes;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--files");
  const files = at >= 0 ? Number(Deno.args[at + 1]) : 2000;
  const shm = await Deno.stat("/dev/shm").then(() => "/dev/shm", () => "/tmp");
  const counted = await countSyscalls(await syscallRuntimes(), shm, files);
  console.log(counted ? syscallTable(counted) : "syscalls: no strace");
}
