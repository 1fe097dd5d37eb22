// For tests/deno_permissions_test.ts: a delivery and a claim with whatever
// permissions Deno was given; prints the generated name.
import { FileStore } from "../mod.ts";

const store = new FileStore(Deno.args[0]!);
await store.prepare();
const name = await store.deliver("x");
await (await store.claim())!.done();
console.log(name);
