// main() of the CLI with the memory backend and a fake runtime.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { FileStore } from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { type CliIo, main } from "../src/cli/main.ts";
import { VERSION } from "../src/version.ts";
import { bytes, text } from "./_backends.ts";
import { recording } from "./_recording.ts";

interface Fake {
  io: CliIo;
  out: () => string;
  err: () => string;
  signal: () => void;
  runs: string[][];
}

function fake(
  options: {
    fs?: CliIo["fs"];
    stdin?: string;
    run?: (
      cmd: string,
      args: string[],
      env?: Record<string, string>,
    ) => Promise<number>;
    env?: Record<string, string>;
    cwd?: string;
  } = {},
): Fake {
  let out = "";
  let err = "";
  const handlers = new Set<() => void>();
  const runs: string[][] = [];
  const io: CliIo = {
    stdin: async function* () {
      if (options.stdin !== undefined) yield bytes(options.stdin);
    },
    stdout: (d) => {
      out += typeof d === "string" ? d : text(d);
    },
    stderr: (t) => {
      err += t;
    },
    stderrIsTerminal: false,
    env: (name) => options.env?.[name],
    fs: options.fs ?? memoryFileSystem(),
    onSignal: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    run: (cmd, args, _signal, env) => {
      runs.push([cmd, ...args]);
      return options.run ? options.run(cmd, args, env) : Promise.resolve(0);
    },
    ...(options.cwd === undefined ? {} : { cwd: () => options.cwd! }),
  };
  return {
    io,
    out: () => out,
    err: () => err,
    signal: () => handlers.forEach((h) => h()),
    runs,
  };
}

async function cli(f: Fake, ...args: string[]): Promise<number> {
  return await main(["-s", "/s", ...args], f.io);
}

describe("main()", () => {
  test("main() prints help and the version with exit code 0", async () => {
    const f = fake();
    assert.equal(await main(["--help"], f.io), 0);
    assert.match(f.out(), /^Usage: filestore/);
    assert.equal(await main(["help", "move"], f.io), 0);
    assert.match(f.out(), /--overwrite/);
    const v = fake();
    assert.equal(await main(["--version"], v.io), 0);
    assert.equal(v.out(), `filestore ${VERSION}\n`);
    const denoJson = JSON.parse(
      readFileSync(new URL("../deno.json", import.meta.url), "utf8"),
    );
    assert.equal(VERSION, denoJson.version);
    assert.equal(f.err(), "");
  });

  test("main() exits 2 on a usage error, with the reason and the usage", async () => {
    const f = fake();
    assert.equal(await cli(f, "move", "x"), 2);
    assert.match(
      f.err(),
      /^filestore: Missing arguments: filestore move NAME FROM TO\n\nUsage: /,
    );
    assert.equal(f.out(), "");
    const j = fake();
    assert.equal(await cli(j, "bogus", "--json"), 2);
    assert.deepEqual(JSON.parse(j.err()), {
      code: "USAGE",
      message: "Unknown command 'bogus'",
    });
  });

  test("main() walks the original scenario", async () => {
    const fs = memoryFileSystem();
    assert.equal(await cli(fake({ fs }), "prepare"), 0);
    const f = fake({ fs, stdin: "Die Ente bleibt draussen!" });
    assert.equal(await cli(f, "create", "a-file"), 0);
    const l = fake({ fs });
    assert.equal(await cli(l, "list", "tmp"), 0);
    assert.equal(l.out(), "/s/tmp/a-file\n");
    assert.equal(await cli(fake({ fs }), "move", "a-file", "tmp", "new"), 0);
    assert.equal(
      await cli(fake({ fs }), "copy", "/s/new/a-file", "new", "cur"),
      0,
    );
    const c = fake({ fs });
    assert.equal(await cli(c, "cat", "a-file", "cur"), 0);
    assert.equal(c.out(), "Die Ente bleibt draussen!");
    const j = fake({ fs });
    assert.equal(await cli(j, "--json", "list", "new"), 0);
    const [details] = JSON.parse(j.out());
    assert.deepEqual(
      [details.path, details.name, details.state, details.size, details.reason],
      ["/s/new/a-file", "a-file", "ready", 25, null],
    );
    assert.equal(await cli(fake({ fs }), "remove", "a-file", "new"), 0);
    const e = fake({ fs });
    assert.equal(await cli(e, "move", "a-file", "cur", "cur"), 0);
    assert.equal(await cli(fake({ fs, stdin: "x" }), "create", "a-file"), 0);
    assert.equal(await cli(e, "move", "a-file", "tmp", "cur"), 1);
    assert.equal(
      e.err(),
      "filestore: Cannot move 'a-file' from 'tmp' to 'cur': 'cur/a-file' already exists (store '/s')\n",
    );
    const je = fake({ fs });
    assert.equal(await cli(je, "--json", "move", "a-file", "tmp", "cur"), 1);
    assert.deepEqual(JSON.parse(je.err()), {
      code: "ALREADY_EXISTS",
      message:
        "Cannot move 'a-file' from 'tmp' to 'cur': 'cur/a-file' already exists (store '/s')",
    });
  });

  test("main() refuses a bad name before touching anything", async () => {
    const inner = memoryFileSystem();
    await new FileStore("/s", { fs: inner }).prepare();
    const { fs, calls } = recording(inner);
    for (
      const args of [
        ["create", "../x"],
        ["deliver", "--name", "a/b"],
        ["remove", ".hidden", "new"],
        ["done", "not-a-claim"],
      ]
    ) {
      const f = fake({ fs, stdin: "data" });
      assert.equal(await cli(f, ...args), 1, args.join(" "));
      assert.match(f.err(), /^filestore: Invalid (name|claim)/);
    }
    assert.deepEqual(calls, []);
  });

  test("main() runs the queue: deliver, claim, done by path or segment, fail to dead", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    const d = fake({ fs, stdin: "first" });
    assert.equal(await cli(d, "deliver", "--name", "0-first"), 0);
    assert.equal(d.out(), "0-first\n");
    fs.writeNewFile("/f1", bytes("from file 1"));
    fs.writeNewFile("/f2", bytes("from file 2"));
    const many = fake({ fs });
    assert.equal(await cli(many, "--json", "deliver", "/f1", "/f2"), 0);
    const names = JSON.parse(many.out());
    assert.equal(names.length, 2);
    const c = fake({ fs });
    assert.equal(await cli(c, "claim"), 0);
    const path = c.out().trim();
    assert.match(path, /^\/s\/cur\/0-first~0\.c\./);
    assert.equal(await cli(fake({ fs }), "done", path), 0);
    const c2 = fake({ fs });
    await cli(c2, "claim");
    const segment = c2.out().trim().split("/").pop()!;
    assert.equal(await cli(fake({ fs }), "release", segment), 0);
    for (let i = 0; i < 2; i++) {
      const c3 = fake({ fs });
      await cli(c3, "claim");
      const f = fake({ fs });
      assert.equal(
        await cli(
          f,
          "fail",
          c3.out().trim(),
          "--max-attempts",
          "2",
          "--delay",
          "0",
        ),
        0,
      );
      if (i === 1) assert.match(f.out(), /^\/s\/dead\//);
    }
    const s = fake({ fs });
    assert.equal(await cli(s, "--json", "stats"), 0);
    const stats = JSON.parse(s.out());
    assert.equal(stats.new.count, 1);
    assert.equal(stats.dead.count, 1);
    const gone = fake({ fs });
    assert.equal(await cli(gone, "done", path), 1);
    assert.match(gone.err(), /^filestore: Cannot find claim/);
  });

  test("main() delivers no file when one of several is missing", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    fs.writeNewFile("/f1", bytes("x"));
    const f = fake({ fs });
    assert.equal(await cli(f, "deliver", "/f1", "/missing"), 1);
    assert.match(
      f.err(),
      /Cannot deliver '\/missing': '\/missing' does not exist/,
    );
    assert.deepEqual(await new FileStore("/s", { fs }).list("new"), []);
  });

  test("main() consume runs the command with the path, failing files to dead", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    const store = new FileStore("/s", { fs });
    await store.deliver("ok", { name: "a" });
    await store.deliver("bad", { name: "b" });
    const f = fake({
      fs,
      run: async (_cmd, args) =>
        text(await fs.readFile(args.at(-1)!)) === "bad" ? 3 : 0,
    });
    assert.equal(
      await cli(
        f,
        "consume",
        "--backoff",
        "none",
        "--max-attempts",
        "2",
        "--",
        "handler",
        "--flag",
      ),
      3,
      "a file was dead-lettered",
    );
    assert.equal(f.runs.length, 3);
    assert.deepEqual(f.runs[0]!.slice(0, 2), ["handler", "--flag"]);
    assert.match(f.runs[0]![2]!, /^\/s\/cur\/a~0\.c\./);
    assert.equal(
      f.err(),
      [
        "filestore: 'b' failed (attempt 1 of 2): 'handler' exited with 3; retry now",
        "filestore: 'b' failed (attempt 2 of 2): 'handler' exited with 3; dead-lettered",
        "1 handled, 2 failed (1 dead-lettered)",
        "",
      ].join("\n"),
    );
    assert.equal((await store.list("dead")).length, 1);
    assert.deepEqual(await store.list("cur"), []);
  });

  test("main() consume stops when the command cannot start, losing nothing", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    const store = new FileStore("/s", { fs });
    await store.deliver("x", { name: "a" });
    const f = fake({ fs, run: () => Promise.reject(new Error("not found")) });
    assert.equal(await cli(f, "consume", "--", "nope"), 1);
    assert.equal(f.err(), "filestore: Cannot run 'nope': not found\n");
    const waiting = await store.list("new");
    assert.equal(waiting.length, 1);
    assert.match(waiting[0]!, /^\/s\/new\/a~0\.r\./); // released, no attempt
    assert.deepEqual(await store.list("dead"), []);
  });

  test("main() consume --watch stops on a signal after the running command", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    const store = new FileStore("/s", { fs });
    let f: Fake | undefined = undefined;
    f = fake({
      fs,
      run: async () => {
        f!.signal(); // SIGTERM while the command runs
        await new Promise((r) => setTimeout(r, 20));
        return 0;
      },
    });
    await store.deliver("a");
    await store.deliver("b");
    assert.equal(await cli(f, "consume", "--watch", "--json", "--", "cmd"), 0);
    assert.deepEqual(JSON.parse(f.out()), {
      handled: 1,
      failed: 0,
      dead: 0,
      lost: 0,
      released: 0,
    });
    assert.deepEqual(await store.list("cur"), []);
    assert.equal((await store.list("new")).length, 1);
  });

  test("main() shows progress on a terminal only, and a summary always", async () => {
    for (const terminal of [false, true]) {
      const fs = memoryFileSystem();
      await cli(fake({ fs }), "prepare");
      const files = Array.from({ length: 250 }, (_, i) => `/in${i}`);
      for (const f of files) fs.writeNewFile(f, bytes(f));
      const f = fake({ fs });
      f.io.stderrIsTerminal = terminal;
      assert.equal(await cli(f, "deliver", ...files), 0);
      assert.equal(f.out().split("\n").filter(Boolean).length, 250);
      const progress = f.err().includes("\r\x1b[K");
      assert.equal(progress, terminal, `terminal: ${terminal}`);
      assert.match(f.err(), /250 files delivered\n$/);
      const c = fake({ fs });
      c.io.stderrIsTerminal = terminal;
      assert.equal(await cli(c, "consume", "--", "true"), 0);
      assert.equal(c.err().includes("\r\x1b[K"), terminal);
      assert.match(c.err(), /250 handled, 0 failed \(0 dead-lettered\)\n$/);
    }
  });

  test("main() clean and recover print what they changed", async () => {
    // Written two days ago by the filesystem's own clock (mtime and ctime).
    let clock = Date.now() - 48 * 3_600_000;
    const fs = memoryFileSystem({ now: () => clock });
    await cli(fake({ fs }), "prepare");
    fs.writeNewFile("/s/tmp/.old", bytes(""));
    clock = Date.now();
    const c = fake({ fs });
    assert.equal(await cli(c, "clean"), 0);
    assert.equal(c.out(), "/s/tmp/.old\n");
    assert.equal(c.err(), "1 file removed\n");
    const r = fake({ fs });
    assert.equal(await cli(r, "recover", "--older-than", "0"), 0);
    assert.equal(r.out(), "");
    assert.equal(r.err(), "0 files recovered\n");
  });
});

describe("main() for operators", () => {
  test("errors about the store name it and say what to do", async () => {
    const fs = memoryFileSystem();
    const missing = fake({ fs });
    assert.equal(await cli(missing, "stats"), 1);
    assert.equal(
      missing.err(),
      "filestore: There is no store at '/s': run 'filestore --store /s prepare' to make one\n",
    );
    fs.mkdir("/s");
    const unprepared = fake({ fs });
    assert.equal(await cli(unprepared, "claim"), 1);
    assert.match(
      unprepared.err(),
      /'\/s' is not a prepared store \(it has no 'tmp'\): run 'filestore --store \/s prepare'/,
    );
    fs.writeNewFile("/file", bytes("x"));
    const file = fake({ fs });
    assert.equal(await main(["-s", "/file", "stats"], file.io), 1);
    assert.match(file.err(), /'\/file' is a file, not a store/);
    const usage = fake({ fs });
    assert.equal(await cli(usage, "consume", "./upload.sh"), 2);
    assert.match(
      usage.err(),
      /consume runs a command given after '--': filestore consume -- \.\/upload\.sh/,
    );
    // A relative store is made absolute from the working directory.
    const relative = fake({ fs, cwd: "/work/dir" });
    assert.equal(
      await main(["-s", "../../s", "--json", "prepare"], relative.io),
      0,
    );
    assert.deepEqual(JSON.parse(relative.out()), { store: "/s" });
  });

  test("fail --reason, list --long and --json, requeue and purge of dead letters", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    const store = new FileStore("/s", { fs });
    await store.deliver("one", { name: "report.csv" });
    await store.deliver("two", { name: "other.csv" });
    for (let i = 0; i < 2; i++) {
      const claimed = fake({ fs });
      assert.equal(await cli(claimed, "claim"), 0);
      assert.equal(
        await cli(
          fake({ fs }),
          "fail",
          claimed.out().trim(),
          "--max-attempts",
          "1",
          "--reason",
          "upload refused: 403",
        ),
        0,
      );
    }
    const long = fake({ fs });
    assert.equal(await cli(long, "list", "dead", "--long"), 0);
    const lines = long.out().trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!,
      /^dead +1 +\d+s +3 - +report\.csv~1\.d\.\S+ upload refused: 403$/,
    );
    const json = fake({ fs });
    assert.equal(await cli(json, "--json", "list", "dead"), 0);
    assert.deepEqual(
      JSON.parse(json.out()).map((
        e: { name: string; attempts: number; reason: string },
      ) => [e.name, e.attempts, e.reason]),
      [["other.csv", 1, "upload refused: 403"], [
        "report.csv",
        1,
        "upload refused: 403",
      ]],
    );
    // cat and remove take a dead letter's name as well as its entry.
    const cat = fake({ fs });
    assert.equal(await cli(cat, "cat", "report.csv", "dead"), 0);
    assert.equal(cat.out(), "one");
    // release or fail of a dead letter says what to do instead.
    const [entry] = (await store.list("dead")).filter((p) =>
      p.includes("report")
    );
    const wrong = fake({ fs });
    assert.equal(await cli(wrong, "release", entry!), 1);
    assert.match(
      wrong.err(),
      /it is a dead letter \(requeue it to try again\)/,
    );
    // requeue by name: attempts from 0, its reason kept.
    const requeued = fake({ fs });
    assert.equal(await cli(requeued, "requeue", "report.csv"), 0);
    assert.match(requeued.out(), /^\/s\/new\/report\.csv~0\.r\./);
    assert.equal(requeued.err(), "1 file requeued\n");
    assert.equal(
      await cli(fake({ fs }), "requeue", "report.csv"),
      1,
      "not dead any more",
    );
    // purge needs an age; --older-than 1h keeps the young one.
    assert.equal(await cli(fake({ fs }), "purge", "dead"), 2);
    const young = fake({ fs });
    assert.equal(await cli(young, "purge", "dead", "--older-than", "1h"), 0);
    assert.equal(young.err(), "0 files purged\n");
    const all = fake({ fs });
    assert.equal(await cli(all, "requeue", "--all", "--keep-attempts"), 0);
    assert.match(all.out(), /other\.csv~1\.r\./);
    assert.deepEqual(await store.list("dead"), []);
  });

  test("claim --lease, touch: a CLI claim lasts its lease, whatever recover() says", async () => {
    const fs = memoryFileSystem();
    let now = Date.UTC(2030, 0, 1);
    await cli(fake({ fs }), "prepare");
    const store = new FileStore("/s", { fs, now: () => now });
    await store.deliver("x", { name: "x" });
    const claimed = fake({ fs });
    assert.equal(await cli(claimed, "claim", "--lease", "1h"), 0);
    const entry = claimed.out().trim();
    now = Date.now() + 30 * 60_000; // the CLI's clock is the real one
    assert.deepEqual(await store.recover(), []);
    assert.equal(await cli(fake({ fs }), "touch", entry), 0);
    assert.equal(await cli(fake({ fs }), "done", entry), 0);
    assert.deepEqual(await store.list("cur"), []);
  });

  test("consume gives the command the file's name, attempts, entry and store", async () => {
    const fs = memoryFileSystem();
    await cli(fake({ fs }), "prepare");
    const store = new FileStore("/s", { fs, backoff: false });
    await store.deliver("x", { name: "job.txt" });
    const seen: Record<string, string>[] = [];
    const f = fake({
      fs,
      run: (_cmd, _args, env) => {
        seen.push(env!);
        return Promise.resolve(seen.length === 1 ? 1 : 0);
      },
    });
    assert.equal(await cli(f, "consume", "--backoff", "none", "--", "up"), 0);
    assert.equal(seen.length, 2);
    assert.deepEqual(
      seen.map((
        e,
      ) => [e.FILESTORE_NAME, e.FILESTORE_ATTEMPTS, e.FILESTORE_STORE]),
      [["job.txt", "0", "/s"], ["job.txt", "1", "/s"]],
    );
    assert.match(seen[1]!.FILESTORE_ENTRY!, /^job\.txt~1\.c\./);
    assert.equal(f.runs[1]!.at(-1), `/s/cur/${seen[1]!.FILESTORE_ENTRY}`);
  });
});
