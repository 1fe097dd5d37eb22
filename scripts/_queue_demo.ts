// The demo's process part: producer and consumer processes, all of them the
// `filestore` CLI, hand a few thousand files through one store; then count
// what arrived.
import { fileURLToPath } from "node:url";
import { FileStore } from "../mod.ts";

const PRODUCERS = 3;
const CONSUMERS = 3;
const FILES = 800; // per producer

const cli = fileURLToPath(new URL("../src/cli/deno.ts", import.meta.url));

function filestore(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", cli, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

export async function queueDemo(dir: string): Promise<void> {
  const root = `${dir}/queue`;
  const store = new FileStore(root, { durability: "none" });
  await store.prepare();
  const sources: string[][] = [];
  for (let p = 0; p < PRODUCERS; p++) {
    await Deno.mkdir(`${dir}/source-${p}`);
    const files = [];
    for (let i = 0; i < FILES; i++) {
      const file = `${dir}/source-${p}/${i}`;
      await Deno.writeTextFile(file, `producer ${p} file ${i}\n`);
      files.push(file);
    }
    sources.push(files);
  }
  const started = performance.now();
  console.log(
    `$ filestore -s queue consume --watch -- sh -c 'cat "$1" >> "$0"' out-N   # x${CONSUMERS}`,
  );
  const consumers = Array.from({ length: CONSUMERS }, (_, c) =>
    filestore([
      "-s",
      root,
      "consume",
      "--watch",
      "--",
      "sh",
      "-c",
      'cat "$1" >> "$0"',
      `${dir}/out-${c}`,
    ]));
  console.log(
    `$ filestore -s queue deliver --durability none source-N/*   # x${PRODUCERS}, ${FILES} files each`,
  );
  const producers = sources.map((files) =>
    filestore(["-s", root, "deliver", "--durability", "none", ...files])
  );
  for (const p of producers) {
    const status = await p.status;
    if (!status.success) throw new Error("a producer failed");
  }
  while (true) {
    const stats = await store.stats();
    if (stats.new.count === 0 && stats.cur.count === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  const summaries: string[] = [];
  for (const c of consumers) {
    c.kill("SIGTERM");
    const { stderr } = await c.output();
    summaries.push(new TextDecoder().decode(stderr).trim());
  }
  console.log(`consumers stopped with SIGTERM: ${summaries.join("; ")}`);
  const seen = new Map<string, number>();
  for (let c = 0; c < CONSUMERS; c++) {
    let text = "";
    try {
      text = await Deno.readTextFile(`${dir}/out-${c}`);
    } catch {
      // this consumer handled nothing
    }
    for (const line of text.split("\n").filter(Boolean)) {
      seen.set(line, (seen.get(line) ?? 0) + 1);
    }
  }
  const expected = PRODUCERS * FILES;
  let lost = 0;
  for (let p = 0; p < PRODUCERS; p++) {
    for (let i = 0; i < FILES; i++) {
      if (!seen.has(`producer ${p} file ${i}`)) lost++;
    }
  }
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  const handled = [...seen.values()].reduce((a, b) => a + b, 0);
  console.log(
    `delivered ${expected}, handled ${handled}, lost ${lost}, duplicated ${duplicated}` +
      ` (${
        seconds.toFixed(1)
      } s, ${PRODUCERS} producer and ${CONSUMERS} consumer processes)`,
  );
  const left = await store.stats();
  console.log(
    `left behind: tmp ${left.tmp.count}, new ${left.new.count}, cur ${left.cur.count}`,
  );
  if (lost || duplicated || handled !== expected) {
    throw new Error("the demo lost or duplicated files");
  }
}
