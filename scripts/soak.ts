// `deno task soak [--seconds N]`: the kill soak. Producers and consumers of
// Deno, Node and Bun, and a housekeeper running recover() and clean(), share
// one store while a killer SIGKILLs one of them at random every 100 to 500
// ms and starts a new one of the same role on a random runtime. At the end
// the store is drained and every log is judged:
// - every delivery a producer saw return was handled (or is in `dead`);
// - no file was finished twice;
// - a file was handled more than once only after a holder that started it
//   was killed (the documented redelivery), or lost its claim and said so.
// Exits 1 with the evidence when one of these fails.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FileStore } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "60" } },
});
const seconds = Number(values.seconds);
const root = fileURLToPath(new URL("..", import.meta.url));
const bun = `${root}/node_modules/.bin/bun`;
const built = `${root}/build/node-test/tests/_soak_worker.js`;
const source = `${root}/tests/_soak_worker.ts`;
const runtimes: Record<string, string[]> = {
  deno: [Deno.execPath(), "run", "-A", "--quiet", source],
  node: ["node", built],
  bun: [bun, built],
};
for (const [name, [cmd, script]] of Object.entries(runtimes)) {
  try {
    Deno.statSync(cmd === "node" ? script! : cmd!);
  } catch {
    console.error(`soak: ${name} is missing (run deno task build:npm first)`);
    Deno.exit(1);
  }
}

const work = Deno.makeTempDirSync({ prefix: "filestore-soak-" });
const dir = `${work}/store`;
await new FileStore(dir).prepare();

interface Proc {
  role: "produce" | "consume" | "house";
  runtime: string;
  child: Deno.ChildProcess;
  log: string;
  killed: boolean;
}
const procs: Proc[] = [];
let serial = 0;
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

function launch(role: Proc["role"]): Proc {
  const runtime = pick(Object.keys(runtimes));
  const [cmd, ...args] = runtimes[runtime]!;
  const id = `${role}${serial++}`;
  const log = `${work}/${id}.log`;
  Deno.writeTextFileSync(log, "");
  const child = new Deno.Command(cmd!, {
    args: [...args, role, dir, log, `${runtime}${id}`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const proc: Proc = { role, runtime, child, log, killed: false };
  procs.push(proc);
  return proc;
}

const live = new Set<Proc>();
for (
  const role of [
    "produce",
    "produce",
    "consume",
    "consume",
    "consume",
    "house",
  ] as const
) {
  live.add(launch(role));
}
const kills: Record<string, number> = {};
const end = Date.now() + seconds * 1000;
while (Date.now() < end) {
  await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
  const victim = pick([...live]);
  victim.killed = true;
  try {
    victim.child.kill("SIGKILL");
  } catch { /* ended by itself */ }
  await victim.child.status;
  live.delete(victim);
  kills[victim.runtime] = (kills[victim.runtime] ?? 0) + 1;
  live.add(launch(victim.role));
}
for (const p of live) {
  p.killed = true;
  try {
    p.child.kill("SIGKILL");
  } catch { /* ended */ }
}
const failures: string[] = [];
for (const p of procs) {
  const status = await p.child.status;
  const err = new TextDecoder().decode((await p.child.output()).stderr);
  if (!p.killed || (status.signal !== "SIGKILL" && status.code !== 0)) {
    failures.push(`${p.role} on ${p.runtime} ended by itself: ${err.trim()}`);
  }
}

// Drain: every holder is dead; the housekeeping a restarted consumer does.
const drain = new FileStore(dir, {
  durability: "none",
  maxAttempts: 999,
  backoff: false,
});
await drain.recover({ olderThan: 0 });
const drained: string[] = [];
for await (const claim of drain.claims()) {
  drained.push(await claim.text());
  await claim.done();
}
const dead = (await drain.list("dead")).length;

// Judge the logs.
const acked = new Set<string>();
const handlings = new Map<
  string,
  { entry: string; proc: Proc; done: boolean; lost: boolean }[]
>();
for (const p of procs) {
  for (const line of Deno.readTextFileSync(p.log).split("\n")) {
    const [kind, body, entry] = line.split(" ");
    if (kind === "A") acked.add(body!);
    else if (kind === "H") {
      const list = handlings.get(body!) ?? [];
      list.push({ entry: entry!, proc: p, done: false, lost: false });
      handlings.set(body!, list);
    } else if (kind === "D" || kind === "L") {
      const h = handlings.get(body!)?.find((x) => x.entry === entry);
      if (!h) failures.push(`${kind} without H: ${line}`);
      else if (kind === "D") h.done = true;
      else h.lost = true;
    }
  }
}
for (const body of drained) {
  const list = handlings.get(body) ?? [];
  list.push({ entry: "drain", proc: procs[0]!, done: true, lost: false });
  handlings.set(body, list);
}
let redelivered = 0;
for (const body of acked) {
  if (!handlings.has(body)) {
    failures.push(`acknowledged, never handled: ${body}`);
  }
}
for (const [body, list] of handlings) {
  const done = list.filter((h) => h.done).length;
  if (done > 1) failures.push(`finished ${done} times: ${body}`);
  if (list.length > 1) {
    redelivered++;
    for (const h of list) {
      if (!h.done && !h.lost && !h.proc.killed) {
        failures.push(`handled again although its holder lived: ${body}`);
      }
    }
  }
}
const runtimesSeen = [...new Set(procs.map((p) => p.runtime))].join(", ");
console.log(
  `soak: ${seconds} s, ${procs.length} processes (${runtimesSeen}), ` +
    `kills ${JSON.stringify(kills)}; ${acked.size} deliveries acknowledged, ` +
    `${handlings.size} files handled (${drained.length} in the final drain), ` +
    `${redelivered} handled again after their holder was killed, ${dead} dead`,
);
if (failures.length) {
  console.error(
    `soak: FAILED\n${[...new Set(failures)].slice(0, 40).join("\n")}`,
  );
  console.error(`soak: logs kept in ${work}`);
  Deno.exit(1);
}
Deno.removeSync(work, { recursive: true });
console.log("soak: passed");
