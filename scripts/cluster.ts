// `deno task test:cluster`: sets up the cluster of scripts/cluster.sh
// (installing its Debian packages where they are missing), runs
// tests/cluster_test.ts against it, and tears it down, also after a failure
// or an interrupt. Skips, saying why, where the machine does not allow it.
//
//   deno task test:cluster [--state DIR] [--keep]
//
// --keep leaves the cluster up (for `scripts/cluster.sh run DIR h1 ...`).
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    state: { type: "string", default: "/run/filestore-cluster" },
    keep: { type: "boolean", default: false },
  },
});
const state = values.state!;
const root = fileURLToPath(new URL("..", import.meta.url));
const script = `${root}scripts/cluster.sh`;

async function sh(...args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout } = await new Deno.Command("bash", {
    args: [script, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code, out: new TextDecoder().decode(stdout).trim() };
}

const check = await sh("check");
if (check.code !== 0) {
  console.log(`test:cluster: skipped: ${check.out}`);
  Deno.exit(0);
}
if ((await sh("install")).code !== 0) {
  console.error("test:cluster: cannot install the Debian packages it needs");
  Deno.exit(1);
}

/** The files under `dir`, as paths relative to it; none if it is gone. */
async function logFiles(dir: string, under = ""): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dir}/${under}`)) {
      if (e.isDirectory) {
        names.push(...await logFiles(dir, `${under}${e.name}/`));
      } else if (e.isFile) names.push(`${under}${e.name}`);
    }
  } catch {
    // the cluster's state went with a failed setup
  }
  return names;
}

let down: Promise<unknown> | undefined;
const teardown = () =>
  down ??= values.keep ? Promise.resolve() : sh("down", state);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await teardown();
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const started = Date.now();
let code = 1;
try {
  if ((await sh("up", state)).code !== 0) {
    console.error("test:cluster: the cluster did not come up; its logs:");
    for (const name of await logFiles(`${state}/logs`)) {
      const text = await Deno.readTextFile(`${state}/logs/${name}`);
      console.error(`--- ${name}\n${text.split("\n").slice(-15).join("\n")}`);
    }
  } else {
    console.log(
      `test:cluster: up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const test = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", `${root}tests/cluster_test.ts`],
      env: { FILESTORE_CLUSTER: state, FILESTORE_DENO: Deno.execPath() },
    }).spawn();
    code = (await test.status).code;
  }
} finally {
  await teardown();
}
console.log(
  `test:cluster: ${code === 0 ? "passed" : "FAILED"} in ${
    ((Date.now() - started) / 1000).toFixed(0)
  } s`,
);
Deno.exit(code);
