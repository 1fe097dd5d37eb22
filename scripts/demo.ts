// `deno task demo`: walks the original gocept.filestore scenario in a fresh
// temporary directory, printing each call and what it returned, then the
// queue, then producer and consumer processes (the CLI) handing a few
// thousand files through one store.
import { FileStore } from "../mod.ts";
import { queueDemo } from "./_queue_demo.ts";

const dir = await Deno.makeTempDir({ prefix: "filestore-demo-" });
const show = (value: unknown): unknown =>
  typeof value === "string"
    ? value.replace(dir, "<dir>")
    : Array.isArray(value)
    ? value.map(show)
    : typeof value === "object" && value !== null
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, show(v)]))
    : value;

async function step<T>(call: string, run: () => Promise<T>): Promise<T> {
  const result = await run();
  const shown = result === undefined
    ? ""
    : ` -> ${Deno.inspect(show(result), { colors: false, compact: true })}`;
  console.log(`>>> ${call}${shown}`);
  return result;
}

try {
  console.log("# Part 1: the original scenario\n");
  const store = new FileStore(`${dir}/store`);
  await step("store = new FileStore('<dir>/store')", () => Promise.resolve());
  await step("await store.prepare()", () => store.prepare());
  await step("await store.list('tmp')", () => store.list("tmp"));
  const f = await store.create("a-file");
  await step("f = await store.create('a-file')", () => Promise.resolve());
  await step(
    "await f.write('Die Ente bleibt draussen!')",
    () => f.write("Die Ente bleibt draussen!"),
  );
  await step("await f.close()", () => f.close());
  await step("await store.list('tmp')", () => store.list("tmp"));
  await step(
    "await store.move('a-file', 'tmp', 'new')",
    () => store.move("a-file", "tmp", "new"),
  );
  await step("await store.list('new')", () => store.list("new"));
  await step(
    "await store.move('a-file', 'new', 'cur')",
    () => store.move("a-file", "new", "cur"),
  );
  await step(
    "await store.copy('a-file', 'cur', 'tmp')",
    () => store.copy("a-file", "cur", "tmp"),
  );
  await step(
    "await store.move('a-file', 'tmp', 'cur')   # refused",
    () =>
      store.move("a-file", "tmp", "cur").catch((err) =>
        `${err.name}: ${err.message}`
      ),
  );
  await step(
    "await store.read('a-file', 'cur')  # as text",
    async () => new TextDecoder().decode(await store.read("a-file", "cur")),
  );
  await step(
    "await store.remove('a-file', 'tmp')",
    () => store.remove("a-file", "tmp"),
  );
  await step(
    "await store.create('../escape')   # refused",
    () =>
      store.create("../escape").then(
        () => "created?!",
        (err) => `${err.name}: ${err.message}`,
      ),
  );
  await step("await store.list('..')   # refused", () =>
    // @ts-expect-error: not an area, on purpose
    store.list("..").catch((err) => `${err.name}: ${err.message}`));

  console.log("\n# Part 2: the queue\n");
  const name = await step(
    "await store.deliver('job one')",
    () => store.deliver("job one"),
  );
  await step("await store.list('new')", () => store.list("new"));
  const claim = await step("claim = await store.claim()", async () => {
    const c = await store.claim();
    return c === null ? null : { name: c.name, path: c.path };
  });
  if (claim?.name !== name) throw new Error("claimed something else");
  const again = await store.claimed(claim.path);
  await step("await claim.text()", () => again.text());
  await step("await claim.done()", () => again.done());
  await step("await store.stats()", () => store.stats());

  console.log("\n# Part 3: processes, through the command-line tool\n");
  await queueDemo(dir);
} finally {
  await Deno.remove(dir, { recursive: true });
}
