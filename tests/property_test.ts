// Property tests with fast-check: random sequences of operations by several
// simulated workers, checked against a model after every step; random names
// either stored exactly or refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type Claim, FileStore, InvalidNameError } from "../mod.ts";
import {
  type Backend,
  backends,
  backendSuite,
  bytes,
  type Sandbox,
  text,
} from "./_backends.ts";

const WORKERS = 3;
const MAX_ATTEMPTS = 2;

type Action =
  | { kind: "deliver"; worker: number; size: number }
  | { kind: "claim"; worker: number }
  | { kind: "done" | "release" | "fail"; worker: number; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("deliver" as const),
    worker: fc.nat(WORKERS - 1),
    size: fc.nat(300),
  }),
  fc.record({
    kind: fc.constant("claim" as const),
    worker: fc.nat(WORKERS - 1),
  }),
  fc.record({
    kind: fc.constantFrom("done" as const, "release" as const, "fail" as const),
    worker: fc.nat(WORKERS - 1),
    pick: fc.nat(),
  }),
);

// One sequence that reaches every kind of step, run besides the random ones.
const EXAMPLE: Action[] = [
  { kind: "deliver", worker: 0, size: 3 },
  { kind: "deliver", worker: 1, size: 0 },
  { kind: "claim", worker: 1 },
  { kind: "fail", worker: 1, pick: 0 },
  { kind: "claim", worker: 2 },
  { kind: "fail", worker: 2, pick: 0 },
  { kind: "claim", worker: 0 },
  { kind: "release", worker: 0, pick: 0 },
  { kind: "claim", worker: 0 },
  { kind: "done", worker: 0, pick: 0 },
  { kind: "claim", worker: 0 },
];

// What the random sequences exercised, so a test that ran too little fails.
const exercised = {
  steps: 0,
  claims: 0,
  done: 0,
  release: 0,
  fail: 0,
  dead: 0,
};

interface ModelFile {
  state: "waiting" | "claimed" | "dead";
  attempts: number;
  producer: number;
  seq: number;
}

async function sandboxFor(backend: Backend): Promise<Sandbox> {
  return await backend.sandbox();
}

// What the store holds, read back from the disk: area -> sorted bodies
// (with attempts for new).
async function observe(store: FileStore) {
  const read = async (area: "new" | "cur" | "dead") =>
    (await Promise.all(
      (await store.list(area)).map(async (path) => {
        const body = text(await store.read(path, area)).split("|")[0]!;
        const attempts = /~(\d+)(?:\.|$)/.exec(path)?.[1] ?? "0";
        return area === "new" ? `${body}~${attempts}` : body;
      }),
    )).sort();
  return {
    new: await read("new"),
    cur: await read("cur"),
    dead: await read("dead"),
    tmp: await store.list("tmp"),
  };
}

async function runSequence(backend: Backend, actions: Action[]): Promise<void> {
  const sandbox = await sandboxFor(backend);
  try {
    const root = `${sandbox.dir}/store`;
    const stores = Array.from({ length: WORKERS }, () =>
      new FileStore(root, {
        backoff: false,
        fs: sandbox.fs,
        durability: "none",
        maxAttempts: MAX_ATTEMPTS,
      }));
    await stores[0]!.prepare();
    const model = new Map<string, ModelFile>();
    const held: Claim[][] = stores.map(() => []);
    const firstClaims: string[][] = stores.map(() => []);
    const claimedOnce = new Set<string>();
    let delivered = 0;
    for (const a of actions) {
      exercised.steps++;
      const store = stores[a.worker]!;
      if (a.kind === "deliver") {
        const body = `w${a.worker}-${delivered++}`;
        await store.deliver(`${body}|${"x".repeat(a.size)}`);
        model.set(body, {
          state: "waiting",
          attempts: 0,
          producer: a.worker,
          seq: delivered,
        });
      } else if (a.kind === "claim") {
        const claim = await store.claim();
        const waiting = [...model.values()].filter((f) =>
          f.state === "waiting"
        );
        if (claim === null) {
          assert.equal(waiting.length, 0, "claim() found nothing to claim");
          continue;
        }
        const body = text(await claim.read()).split("|")[0]!;
        const file = model.get(body);
        assert.ok(file, `claimed an unknown file ${body}`);
        assert.equal(file.state, "waiting", `${body} claimed twice`);
        assert.equal(claim.attempts, file.attempts);
        file.state = "claimed";
        exercised.claims++;
        held[a.worker]!.push(claim);
        if (!claimedOnce.has(body)) {
          claimedOnce.add(body);
          firstClaims[file.producer]!.push(body);
        }
      } else {
        const mine = held[a.worker]!;
        if (mine.length === 0) continue;
        const [claim] = mine.splice(a.pick % mine.length, 1);
        const body = text(await claim!.read()).split("|")[0]!;
        const file = model.get(body)!;
        exercised[a.kind]++;
        if (a.kind === "done") {
          await claim!.done();
          model.delete(body);
        } else if (a.kind === "release") {
          await claim!.release();
          file.state = "waiting";
        } else {
          const result = await claim!.fail();
          file.attempts++;
          assert.equal(result.dead, file.attempts >= MAX_ATTEMPTS);
          file.state = result.dead ? "dead" : "waiting";
          if (result.dead) exercised.dead++;
        }
      }
      const seen = await observe(stores[0]!);
      const want = (state: ModelFile["state"]) =>
        [...model.entries()].filter(([, f]) => f.state === state).map((
          [body, f],
        ) => state === "waiting" ? `${body}~${f.attempts}` : body).sort();
      assert.deepEqual(seen.new, want("waiting"), "new");
      assert.deepEqual(seen.cur, want("claimed"), "cur");
      assert.deepEqual(seen.dead, want("dead"), "dead");
      assert.deepEqual(seen.tmp, [], "tmp");
    }
    // FIFO per producer: each producer's files were first claimed in the
    // order they were delivered.
    for (const order of firstClaims) {
      const seqs = order.map((body) => Number(body.split("-")[1]));
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), "FIFO");
    }
  } finally {
    await sandbox.cleanup();
  }
}

const NAME = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }),
  fc.string({ unit: "grapheme-ascii", minLength: 200, maxLength: 260 }),
  fc.constantFrom(
    ".",
    "..",
    "../x",
    "a/b",
    "a\\b",
    "a\0b",
    "~",
    "a~1",
    ".hidden",
    "x".repeat(215),
    "é".repeat(108),
    "\u{1F986}",
    "line\nbreak",
  ),
  fc.array(fc.constantFrom("a", ".", "/", "\\", "~", "\0", "é", " "), {
    minLength: 1,
    maxLength: 8,
  }).map((parts) => parts.join("")),
);

for (const backend of backends) {
  const runs = backend.real ? 12 : 40;
  backendSuite(`properties (${backend.name})`, backend, () => {
    test("random operations by several workers match the model after every step", async () => {
      for (const key of Object.keys(exercised)) {
        exercised[key as keyof typeof exercised] = 0;
      }
      await fc.assert(
        fc.asyncProperty(
          fc.array(action, { minLength: 20, maxLength: 80, size: "max" }),
          (actions) => runSequence(backend, actions),
        ),
        { numRuns: runs, examples: [[EXAMPLE]] },
      );
      for (const [key, count] of Object.entries(exercised)) {
        assert.ok(count > 0, `no ${key} was exercised`);
      }
      assert.ok(exercised.steps >= runs * 20);
    });

    test("random names are stored exactly under that name or refused", async () => {
      const sandbox = await sandboxFor(backend);
      try {
        const root = `${sandbox.dir}/store`;
        const store = new FileStore(root, {
          backoff: false,
          fs: sandbox.fs,
          durability: "none",
        });
        await store.prepare();
        await fc.assert(
          fc.asyncProperty(NAME, async (name) => {
            let accepted = false;
            try {
              await store.deliver(bytes(`body of ${name}`), { name });
              accepted = true;
            } catch (err) {
              assert.ok(
                err instanceof InvalidNameError,
                `${JSON.stringify(name)}: ${err}`,
              );
            }
            if (accepted) {
              assert.deepEqual(await store.list("new"), [
                `${root}/new/${name}`,
              ]);
              assert.equal(
                text(await store.read(name, "new")),
                `body of ${name}`,
              );
              const claim = await store.claim();
              assert.equal(claim?.name, name);
              await claim!.fail();
              const again = await store.claim();
              assert.equal(again?.name, name);
              assert.equal(again?.attempts, 1);
              await again!.done();
            }
            let created = false;
            try {
              const f = await store.create(name);
              await f.close();
              created = true;
            } catch (err) {
              assert.ok(err instanceof InvalidNameError);
            }
            assert.equal(created, accepted, "create() and deliver() agree");
            if (created) {
              assert.deepEqual(await store.list("tmp"), [
                `${root}/tmp/${name}`,
              ]);
              await store.remove(name, "tmp");
            }
            // Nothing anywhere but the store's own areas.
            const outside = (await sandbox.fs.readDir(sandbox.dir)).map((e) =>
              e.name
            );
            assert.deepEqual(outside, ["store"]);
            const areas = (await sandbox.fs.readDir(root)).map((e) => e.name)
              .sort();
            assert.deepEqual(areas, ["cur", "new", "tmp"]);
          }),
          { numRuns: backend.real ? 60 : 150 },
        );
      } finally {
        await sandbox.cleanup();
      }
    });
  });
}
