// The command-line parser, on its own.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  COMMANDS,
  parseCommand,
  parseDuration,
  usage,
  UsageError,
} from "../src/cli/parse.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const parse = (...args: string[]) => parseCommand(args, env({}));
const refuses = (args: string[], pattern: RegExp) =>
  assert.throws(() => parseCommand(args, env({})), (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.message, pattern);
    return true;
  });

describe("parseCommand()", () => {
  test("parseCommand() reads help in every spelling", () => {
    assert.deepEqual(parse("--help"), { command: "help" });
    assert.deepEqual(parse("-h"), { command: "help" });
    assert.deepEqual(parse("help"), { command: "help" });
    assert.deepEqual(parse("help", "move"), { command: "help", topic: "move" });
    assert.deepEqual(parse("move", "--help"), {
      command: "help",
      topic: "move",
    });
    assert.deepEqual(parse("--version"), { command: "version" });
    refuses(["help", "nope"], /Unknown command 'nope'/);
  });

  test("parseCommand() takes the store from --store, -s or FILESTORE_DIR", () => {
    assert.deepEqual(parse("--store", "/a", "prepare"), {
      command: "prepare",
      store: "/a",
      json: false,
    });
    assert.deepEqual(parse("prepare", "-s", "/b", "--json"), {
      command: "prepare",
      store: "/b",
      json: true,
    });
    assert.deepEqual(parseCommand(["stats"], env({ FILESTORE_DIR: "/c" })), {
      command: "stats",
      store: "/c",
      json: false,
    });
    refuses(["stats"], /No store given/);
  });

  test("parseCommand() builds each command", () => {
    const s = ["-s", "/s"];
    assert.deepEqual(parse(...s, "create", "f"), {
      command: "create",
      store: "/s",
      json: false,
      name: "f",
    });
    assert.deepEqual(parse(...s, "move", "f", "tmp", "new", "--overwrite"), {
      command: "move",
      store: "/s",
      json: false,
      name: "f",
      from: "tmp",
      to: "new",
      overwrite: true,
    });
    assert.deepEqual(parse(...s, "cat", "f", "cur"), {
      command: "cat",
      store: "/s",
      json: false,
      name: "f",
      area: "cur",
    });
    assert.deepEqual(parse(...s, "deliver", "a", "b", "--durability", "none"), {
      command: "deliver",
      store: "/s",
      json: false,
      durability: "none",
      files: ["a", "b"],
    });
    assert.deepEqual(parse(...s, "deliver", "--name", "n"), {
      command: "deliver",
      store: "/s",
      json: false,
      files: [],
      name: "n",
    });
    assert.deepEqual(parse(...s, "done", "x", "--keep"), {
      command: "done",
      store: "/s",
      json: false,
      name: "x",
      keep: true,
    });
    assert.deepEqual(parse(...s, "fail", "x", "--max-attempts", "3"), {
      command: "fail",
      store: "/s",
      json: false,
      name: "x",
      maxAttempts: 3,
    });
    assert.deepEqual(
      parse(
        ...s,
        "consume",
        "--watch",
        "--concurrency",
        "2",
        "--",
        "sh",
        "-c",
        "x --y",
      ),
      {
        command: "consume",
        store: "/s",
        json: false,
        watch: true,
        concurrency: 2,
        run: ["sh", "-c", "x --y"],
        exitZero: false,
      },
    );
    assert.deepEqual(parse(...s, "recover", "--older-than", "90s"), {
      command: "recover",
      store: "/s",
      json: false,
      olderThan: 90_000,
    });
  });

  test("parseCommand() refuses what cannot run, naming the reason", () => {
    const s = ["-s", "/s"];
    refuses([...s], /No command given/);
    refuses([...s, "frobnicate"], /Unknown command 'frobnicate'/);
    refuses([...s, "list", "new", "--bogus"], /Unknown option '--bogus'/);
    refuses(
      [...s, "list", "new", "--overwrite"],
      /'list' has no option '--overwrite'/,
    );
    refuses(
      [...s, "move", "f", "tmp"],
      /Missing arguments: filestore move NAME FROM TO/,
    );
    refuses([...s, "list", "new", "cur"], /Too many arguments/);
    refuses([...s, "list", ".."], /'\.\.' is not an area/);
    refuses(
      [...s, "prepare", "--durability", "some"],
      /--durability takes full, file or none/,
    );
    refuses(
      [...s, "clean", "--older-than", "soon"],
      /--older-than takes a duration/,
    );
    refuses(
      [...s, "consume", "--concurrency", "0", "--", "x"],
      /--concurrency takes a whole number/,
    );
    refuses([...s, "consume"], /consume needs a command after '--'/);
    refuses([...s, "list", "new", "--", "x"], /takes no '--'/);
    refuses(
      [...s, "deliver", "a", "b", "--name", "n"],
      /--name takes one file at most/,
    );
    refuses([...s, "fail", "x", "--max-attempts", "1000"], /at most 999/);
  });

  test("parseCommand() keeps the command of a usage error for its help", () => {
    try {
      parse("-s", "/s", "move", "f");
      assert.fail("parsed");
    } catch (err) {
      assert.ok(err instanceof UsageError);
      assert.equal(err.topic, "move");
    }
  });
});

describe("parseDuration()", () => {
  test("parseDuration() reads units, and bare numbers as seconds", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("10m"), 600_000);
    assert.equal(parseDuration("36h"), 129_600_000);
    assert.equal(parseDuration("2d"), 172_800_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("1.5h"), 5_400_000);
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("-1s"), undefined);
    assert.equal(parseDuration("1w"), undefined);
    assert.equal(parseDuration(""), undefined);
  });
});

describe("usage()", () => {
  test("usage() lists every command with aligned summaries", () => {
    const text = usage();
    const lines = text.split("\n").filter((l) => /^ {2}\S/.test(l));
    for (const name of Object.keys(COMMANDS)) {
      assert.ok(lines.some((l) => l.startsWith(`  ${name}`)), name);
    }
    const commandLines = lines.slice(0, Object.keys(COMMANDS).length);
    const columns = new Set(
      commandLines.map((l) => /^ {2}\S+(?: \S+)* {2,}/.exec(l)![0].length),
    );
    assert.equal(columns.size, 1, "summaries start in one column");
  });

  test("usage() of a command shows its own options", () => {
    assert.match(usage("consume"), /--concurrency N/);
    assert.match(
      usage("consume"),
      /Usage: filestore \[--store DIR\] consume -- CMD/,
    );
    assert.doesNotMatch(usage("list"), /--overwrite/);
  });
});
