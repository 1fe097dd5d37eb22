// The hot paths once, for scripts/syscalls.ts to count under strace: COUNT
// deliveries, then COUNT claims with a read and done(), on the runtime's
// default backend (FILESTORE_BENCH_FS=node: the Node backend), durability
// none. Each phase is between two marker calls (an lstat of a path that does
// not exist) that the counter looks for.
//
// Usage: _syscall_worker DIR COUNT
import * as nodeFs from "node:fs";
import process from "node:process";
import { FileStore } from "../mod.ts";
import { nodeFileSystem } from "../src/backends/node.ts";

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg);
const store = new FileStore(dir!, {
  durability: "none",
  ...(process.env.FILESTORE_BENCH_FS === "node"
    ? { fs: nodeFileSystem() }
    : {}),
});

function marker(name: string): void {
  try {
    nodeFs.lstatSync(`/filestore-syscalls-${name}`);
  } catch {
    // it does not exist: only the call matters
  }
}

await store.prepare();
const data = new Uint8Array(1024).fill(120);
await store.deliver(data); // the first of each: opening, caches
await (await store.claim())!.done();
marker("deliver-begin");
for (let i = 0; i < count; i++) await store.deliver(data);
marker("deliver-end");
// The listing of `new` happens once per many claims: counted, spread out.
marker("claim-begin");
for (let i = 0; i < count; i++) {
  const claim = (await store.claim())!;
  await claim.read();
  await claim.done();
}
marker("claim-end");
process.stdout.write("ok\n");
