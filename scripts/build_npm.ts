// `deno task build:npm`: what dnt would do, with the TypeScript compiler from
// npm (dnt comes from JSR, which our machines cannot reach).
//
// 1. Emits ES modules and declarations for every entry but `./deno` into
//    `npm/esm/`, relative `.ts` imports rewritten to `.js` (declarations too),
//    with the default backend fixed to Node's.
// 2. Writes `npm/package.json` from `deno.json`; copies README, PROTOCOL and
//    LICENSE.
// 3. Compiles the test files against that output into `build/node-test/`, for
//    `node --test` and `bun test` (`deno task test:node`, `test:bun`).
// 4. Smoke test: `npm pack`, install the tarball into a fresh project, import
//    it from an ES module, run `npx filestore --help`, type-check a TypeScript
//    file under `moduleResolution: nodenext`.
//
// Usage: deno run -A scripts/build_npm.ts [--no-smoke]
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));

// The package's entries come from deno.json's exports, its one list: every
// export but the Deno backend, with the CLI as the `bin` (its Node twin).
const DENO_ONLY = new Set(["./deno"]);
const CLI = "./cli";
const exported = Object.entries(config.exports as Record<string, string>)
  .filter(([key]) => !DENO_ONLY.has(key) && key !== CLI)
  .map(([key, path]) => [key, path.replace(/^\.\//, "").replace(/\.ts$/, "")]);
const bin = "src/cli/node";

/** The Node release lines the package claims: the ones its tests run on. */
const NODE_ENGINES = ">=20.19";

const tsc = `${root}/node_modules/.bin/tsc`;
try {
  await Deno.stat(tsc);
} catch {
  console.error("build_npm: run `npm ci` first (TypeScript comes from npm)");
  Deno.exit(1);
}

async function run(cmd: string, args: string[], cwd = root): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stderr: "inherit" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    console.error(text);
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code})`);
  }
  return text;
}

async function* walk(dir: string): AsyncIterable<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(path);
    else yield path;
  }
}

async function reset(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
}

// Relative `.ts` specifiers in declarations become `.js`, as tsc's
// rewriteRelativeImportExtensions does for the JavaScript.
async function rewriteDeclarations(dir: string): Promise<void> {
  for await (const path of walk(dir)) {
    if (!path.endsWith(".d.ts")) continue;
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      text.replace(
        /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g,
        "$1$2.js$3",
      ),
    );
  }
}

// deno.json's compiler options (the strict flags) and what Node needs.
const COMPILER = [
  "--target",
  "ES2022",
  "--module",
  "NodeNext",
  "--moduleResolution",
  "NodeNext",
  "--lib",
  "ES2023",
  "--types",
  "node",
  "--typeRoots",
  `${root}/node_modules/@types`,
  "--rewriteRelativeImportExtensions",
  "--skipLibCheck",
  ...Object.entries(config.compilerOptions as Record<string, unknown>)
    .flatMap(([option, value]) => {
      if (value !== true) {
        throw new Error(`build_npm: compilerOptions.${option}: not a flag`);
      }
      return [`--${option}`];
    }),
];

// 1. The package's code.
const stage = `${root}/build/npm-src`;
const npm = `${root}/npm`;
await reset(stage);
await reset(npm);
await Deno.writeTextFile(`${stage}/package.json`, '{ "type": "module" }\n');
await Deno.copyFile(`${root}/mod.ts`, `${stage}/mod.ts`);
for await (const path of walk(`${root}/src`)) {
  const rel = path.slice(root.length + 1);
  if (rel === "src/backends/deno.ts" || rel === "src/cli/deno.ts") continue;
  await Deno.mkdir(`${stage}/${rel.slice(0, rel.lastIndexOf("/"))}`, {
    recursive: true,
  });
  await Deno.copyFile(path, `${stage}/${rel}`);
}
// The npm package's default backend is always Node's: a real file, checked
// and linted with the rest, copied over the Deno-first one.
await Deno.copyFile(
  `${root}/src/default_file_system_node.ts`,
  `${stage}/src/default_file_system.ts`,
);
await run(tsc, [
  ...COMPILER,
  "--declaration",
  "--rootDir",
  stage,
  "--outDir",
  `${npm}/esm`,
  ...exported.map(([, path]) => `${stage}/${path}.ts`),
  `${stage}/${bin}.ts`,
]);
await rewriteDeclarations(`${npm}/esm`);
await Deno.chmod(`${npm}/esm/${bin}.js`, 0o755);

// 2. package.json and documents.
// ES modules, for `import` and, where Node can require() an ES module
// (20.19 and later, 22.12 and later), for `require` too.
const entry = (path: string) => ({
  types: `./esm/${path}.d.ts`,
  import: `./esm/${path}.js`,
  require: `./esm/${path}.js`,
});
const pkg = {
  name: config.name,
  version: config.version,
  description: config.description,
  license: config.license,
  keywords: ["queue", "maildir", "spool", "filestore", "fsync", "deno", "bun"],
  type: "module",
  main: "./esm/mod.js",
  types: "./esm/mod.d.ts",
  exports: {
    ...Object.fromEntries(exported.map(([key, path]) => [key, entry(path!)])),
    "./package.json": "./package.json",
  },
  bin: { filestore: `./esm/${bin}.js` },
  files: ["esm/", "README.md", "PROTOCOL.md", "LICENSE"],
  engines: { node: NODE_ENGINES },
  sideEffects: false,
};
await Deno.writeTextFile(
  `${npm}/package.json`,
  JSON.stringify(pkg, null, 2) + "\n",
);
for (const file of ["README.md", "PROTOCOL.md", "LICENSE"]) {
  await Deno.copyFile(`${root}/${file}`, `${npm}/${file}`);
}
console.log(`build_npm: wrote ${npm} (${pkg.name}@${pkg.version})`);

// 3. The tests (and the benchmark's worker), compiled against the package's
// output: the compiled sources
// are replaced by the files of npm/esm, and what the package leaves out (the
// Deno backend) is removed, so Node and Bun test exactly what ships.
const tests = `${root}/build/node-test`;
await reset(tests);
await Deno.writeTextFile(`${tests}/package.json`, '{ "type": "module" }\n');
const testFiles: string[] = [
  `${root}/scripts/_bench_worker.ts`,
  `${root}/scripts/_syscall_worker.ts`,
];
for await (const path of walk(`${root}/tests`)) {
  if (path.endsWith(".ts")) testFiles.push(path);
}
await run(tsc, [
  ...COMPILER,
  "--noCheck",
  "--rootDir",
  root,
  "--outDir",
  tests,
  ...testFiles,
]);
await Deno.remove(`${tests}/src`, { recursive: true });
await Deno.remove(`${tests}/mod.js`);
for await (const path of walk(`${npm}/esm`)) {
  if (path.endsWith(".d.ts")) continue;
  const rel = path.slice(`${npm}/esm/`.length);
  if (rel.includes("/")) {
    await Deno.mkdir(`${tests}/${rel.slice(0, rel.lastIndexOf("/"))}`, {
      recursive: true,
    });
  }
  await Deno.copyFile(path, `${tests}/${rel}`);
}
await Deno.copyFile(`${root}/deno.json`, `${tests}/deno.json`);
// What the docs tests read: the README and the example files.
await Deno.copyFile(`${root}/README.md`, `${tests}/README.md`);
await Deno.mkdir(`${tests}/examples`, { recursive: true });
for await (const entry of Deno.readDir(`${root}/examples`)) {
  await Deno.copyFile(
    `${root}/examples/${entry.name}`,
    `${tests}/examples/${entry.name}`,
  );
}
console.log(`build_npm: compiled ${testFiles.length} test files into ${tests}`);

// 4. Smoke test of the packed package in a fresh project.
if (!Deno.args.includes("--no-smoke")) {
  const project = await Deno.makeTempDir({ prefix: "filestore-smoke-" });
  try {
    const packed = (await run("npm", [
      "pack",
      "--silent",
      "--pack-destination",
      project,
    ], npm)).trim().split("\n").pop()!;
    await Deno.writeTextFile(
      `${project}/package.json`,
      JSON.stringify({ name: "smoke", private: true, type: "module" }),
    );
    await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--silent",
      `./${packed}`,
    ], project);
    await Deno.writeTextFile(
      `${project}/smoke.mjs`,
      `import { FileStore, NotFoundError } from "@filestore/filestore";
import { memoryFileSystem } from "@filestore/filestore/memory";
import { nodeFileSystem } from "@filestore/filestore/node";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "smoke-"));
for (const fs of [memoryFileSystem(), nodeFileSystem(), undefined]) {
  const store = new FileStore(fs ? join(dir, String(Math.random())) : join(dir, "default"), fs ? { fs } : {});
  await store.prepare();
  const name = await store.deliver("hello");
  const claim = await store.claim();
  if (claim.name !== name || (await claim.text()) !== "hello") throw new Error("wrong claim");
  await claim.done();
  await store.read("missing", "new").catch((e) => { if (!(e instanceof NotFoundError)) throw e; });
}
console.log("smoke: ok");
`,
    );
    const smoke = await run("node", ["smoke.mjs"], project);
    if (smoke.trim() !== "smoke: ok") throw new Error(`smoke.mjs: ${smoke}`);
    // CommonJS: require() of the package (Node 20.19+ and 22.12+ load an ES
    // module that way), and its types under nodenext from a .cts file.
    await Deno.writeTextFile(
      `${project}/smoke.cjs`,
      `const { FileStore } = require("@filestore/filestore");
const { memoryFileSystem } = require("@filestore/filestore/memory");
(async () => {
  const store = new FileStore("/s", { fs: memoryFileSystem() });
  await store.prepare();
  await store.deliver("x", { name: "x" });
  const claim = await store.claim();
  await claim.done();
  console.log("cjs: " + claim.name);
})();
`,
    );
    const cjs = await run("node", ["--no-warnings", "smoke.cjs"], project);
    if (cjs.trim() !== "cjs: x") throw new Error(`smoke.cjs: ${cjs}`);
    await Deno.writeTextFile(
      `${project}/check.cts`,
      `import { FileStore, type Claim } from "@filestore/filestore";
import { memoryFileSystem } from "@filestore/filestore/memory";
const store = new FileStore("/s", { fs: memoryFileSystem() });
export const claim: Promise<Claim | null> = store.claim();
`,
    );
    const help = await run(
      "npx",
      ["--no-install", "filestore", "--help"],
      project,
    );
    if (!help.startsWith("Usage: filestore")) {
      throw new Error(`npx filestore --help printed: ${help}`);
    }
    await Deno.writeTextFile(
      `${project}/check.ts`,
      `import { type Claim, FileStore, type FileStoreOptions } from "@filestore/filestore";
import { memoryFileSystem } from "@filestore/filestore/memory";

const options: FileStoreOptions = { fs: memoryFileSystem(), durability: "none" };
const store = new FileStore("/s", options);
const claim: Claim | null = await store.claim();
const name: string | undefined = claim?.name;
// @ts-expect-error: not an area
await store.list("elsewhere");
export { name };
`,
    );
    await run(tsc, [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--types",
      "node",
      "--typeRoots",
      `${root}/node_modules/@types`,
      "check.ts",
      "check.cts",
    ], project);
    console.log(
      "build_npm: smoke test passed (import, require, npx filestore --help, tsc nodenext for .ts and .cts)",
    );
  } finally {
    await Deno.remove(project, { recursive: true });
  }
}
