// `deno task outage [--minutes N]`: the outage of issue 14 in real time,
// with default settings. 20 files are delivered; `filestore consume --watch`
// runs an uploader command that fails while the "downstream" is down (N
// minutes, default 5), then succeeds. Every file must end handled, none in
// `dead`, each handled once. Prints when each attempt ran; exits 1 when a
// file was dead-lettered, lost or handled twice.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FileStore } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { minutes: { type: "string", default: "5" } },
});
const outage = Number(values.minutes) * 60_000;
const cli = fileURLToPath(new URL("../src/cli/deno.ts", import.meta.url));
const dir = await Deno.makeTempDir({ prefix: "filestore-outage-" });
const root = `${dir}/spool`;
const log = `${dir}/attempts.log`;
const up = `${dir}/up`;
const store = new FileStore(root);
await store.prepare();
for (let i = 0; i < 20; i++) {
  await store.deliver(`file ${i}`, { name: `f${i}` });
}
const start = Date.now();
// The uploader: logs each attempt (file, time), succeeds once `up` exists.
const uploader =
  `echo "$(basename "$1" | cut -d~ -f1) $(date +%s%3N) $(test -e '${up}' && echo ok || echo down)" >> '${log}'; test -e '${up}'`;
const consumer = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--quiet",
    cli,
    "-s",
    root,
    "consume",
    "--watch",
    "--",
    "sh",
    "-c",
    uploader,
    "uploader",
  ],
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
console.log(`outage of ${outage / 60_000} min in ${dir}`);
setTimeout(() => Deno.writeTextFileSync(up, ""), outage);
const deadline = start + outage + 15 * 60_000;
let stats = await store.stats();
while (Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 2_000));
  stats = await store.stats();
  const settled = stats.new.count + stats.cur.count + stats.wait.count === 0;
  if (Date.now() > start + outage && settled) break;
}
consumer.kill("SIGTERM");
await consumer.status;
const lines = Deno.readTextFileSync(log).trim().split("\n").map((l) =>
  l.split(" ")
);
const ok = new Map<string, number>();
const byFile = new Map<string, string[]>();
for (const [name, at, state] of lines) {
  byFile.set(name!, [
    ...(byFile.get(name!) ?? []),
    `${((Number(at) - start) / 1000).toFixed(0)}s ${state}`,
  ]);
  if (state === "ok") ok.set(name!, (ok.get(name!) ?? 0) + 1);
}
for (const [name, attempts] of byFile) console.log(name, attempts.join(", "));
const twice = [...ok].filter(([, n]) => n > 1).map(([f]) => f);
const missing = Array.from({ length: 20 }, (_, i) => `f${i}`).filter((f) =>
  !ok.has(f)
);
console.log(
  JSON.stringify({ handled: ok.size, dead: stats.dead.count, twice, missing }),
);
Deno.exit(
  stats.dead.count === 0 && twice.length === 0 && missing.length === 0 ? 0 : 1,
);
