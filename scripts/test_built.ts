// `deno task test:node` and `test:bun`: the npm package's test suite
// (build/node-test, compiled by `deno task build:npm`) under every Node
// release line the package claims, or under Bun. Refuses a build older than
// the sources, so an edit is never tested against a stale build. Node lines
// other than the machine's come from the npm registry (`npx -y node@N`).
//
// Usage: deno run -A scripts/test_built.ts node|bun
import { fileURLToPath } from "node:url";

/** Node's release lines still maintained upstream, and the one the machine has. */
const NODE_LINES = ["20", "22", "24", "26"];

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const built = `${root}/build/node-test`;

async function newest(path: string): Promise<number> {
  const info = await Deno.stat(path);
  if (!info.isDirectory) return info.mtime?.getTime() ?? 0;
  let latest = 0;
  for await (const e of Deno.readDir(path)) {
    latest = Math.max(latest, await newest(`${path}/${e.name}`));
  }
  return latest;
}

let stamp: number;
try {
  stamp = (await Deno.stat(`${built}/package.json`)).mtime!.getTime();
} catch {
  console.error("test_built: no build: run `deno task build:npm` first");
  Deno.exit(1);
}
const sources = Math.max(
  ...(await Promise.all(
    ["mod.ts", "src", "tests", "deno.json", "README.md", "examples"].map((p) =>
      newest(`${root}/${p}`)
    ),
  )),
);
if (sources > stamp) {
  console.error(
    "test_built: the build is older than the sources: run `deno task build:npm` first",
  );
  Deno.exit(1);
}

const files: string[] = [];
for await (const e of Deno.readDir(`${built}/tests`)) {
  if (e.name.endsWith("_test.js")) files.push(`${built}/tests/${e.name}`);
}
files.sort();

async function run(cmd: string, args: string[]): Promise<boolean> {
  const status = await new Deno.Command(cmd, { args, cwd: root }).spawn()
    .status;
  return status.success;
}

const which = Deno.args[0];
let ok = true;
if (which === "bun") {
  ok = await run(`${root}/node_modules/.bin/bun`, [
    "test",
    "--timeout",
    "60000",
    ...files,
  ]);
} else if (which === "node") {
  const machine = new TextDecoder().decode(
    (await new Deno.Command("node", { args: ["--version"] }).output()).stdout,
  ).trim().replace(/^v(\d+)\..*$/, "$1");
  for (const line of NODE_LINES) {
    const [cmd, pre] = line === machine
      ? ["node", []]
      : ["npx", ["-y", `node@${line}`]];
    console.log(`test_built: Node ${line} (${cmd} ${pre.join(" ")})`);
    const passed = await run(cmd, [
      ...pre,
      "--test",
      "--test-concurrency=4",
      "--test-reporter=dot",
      ...files,
    ]);
    console.log(`test_built: Node ${line}: ${passed ? "passed" : "FAILED"}`);
    ok &&= passed;
  }
} else {
  console.error("Usage: test_built.ts node|bun");
  Deno.exit(2);
}
Deno.exit(ok ? 0 : 1);
