// The v2 entry grammar, the claim order and the candidate cache, as units.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Candidates, claimOrder } from "../src/_candidates.ts";
import {
  compareUtf8,
  entryOf,
  MAX_INFO_BYTES,
  parseEntry,
} from "../src/_entry.ts";
import { hostTag, NameGenerator } from "../src/_name_generator.ts";
import { MAX_ENTRY_BYTES, MAX_NAME_BYTES } from "../src/areas.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

test("parseEntry() reads back every entry the store makes", () => {
  const names = new NameGenerator(4294967295, "host", "scope");
  for (const state of ["r", "c", "f", "d"] as const) {
    for (const attempts of [0, 1, 999]) {
      const token = names.token(Date.now());
      const info = parseEntry(entryOf("job", attempts, state, token));
      assert.equal(info.name, "job");
      assert.equal(info.attempts, attempts);
      assert.equal(info.state, state);
      assert.equal(info.token, token);
      assert.equal(info.pid, 4294967295);
      assert.equal(info.host, names.hostTag);
    }
  }
});

test("NameGenerator.next() gives each name 64 random bits as 16 hex digits", () => {
  const names = new NameGenerator(1, "h", "");
  // past the end of one batch of random bytes, and into the next
  const randoms = Array.from({ length: 600 }, () => {
    const m = /R([0-9a-f]{16})\.h$/.exec(names.next());
    assert.ok(m, "the maildir form");
    return m[1]!;
  });
  assert.equal(new Set(randoms).size, randoms.length, "no two alike");
  for (let digit = 0; digit < 16; digit++) {
    const seen = new Set(randoms.map((r) => r[digit]));
    assert.equal(seen.size, 16, `every hex digit at position ${digit}`);
  }
  // and no byte follows from another (equal by chance in 1 of 256)
  for (let j = 0; j < 8; j++) {
    for (let k = j + 1; k < 8; k++) {
      const same = randoms.filter((r) =>
        r.slice(2 * j, 2 * j + 2) === r.slice(2 * k, 2 * k + 2)
      ).length;
      assert.ok(same < 20, `bytes ${j} and ${k} alike in ${same} names`);
    }
  }
});

test("parseEntry() keeps times to the year 117,000 (ten base-36 digits)", () => {
  const names = new NameGenerator(1, "h", "");
  for (
    const when of [0, Date.UTC(2059, 5, 1), Date.UTC(2100, 0, 1), 36 ** 10 - 1]
  ) {
    const info = parseEntry(entryOf("x", 0, "c", names.token(when)));
    assert.equal(info.state, "c", `${new Date(when).toISOString()}`);
    assert.equal(info.time, when);
  }
});

test("parseEntry() reads other tools' names and v1 suffixes as plain names", () => {
  for (
    const entry of [
      "data~4",
      "PROGRA~1",
      "x~1",
      "x~1.c.12.abcdefg.lz3k9x2a.1", // v1: a 7-character host tag
      "note~0.c.1.abcdefghij.1.1:2,S", // a mail reader's flags appended
      "~0.c.1.abcdefghij.1.1", // no name before the suffix
    ]
  ) {
    assert.deepEqual(parseEntry(entry), { name: entry, attempts: 0 }, entry);
  }
});

test("the longest entry the store makes fits a filesystem name", () => {
  assert.equal(MAX_NAME_BYTES + MAX_INFO_BYTES, MAX_ENTRY_BYTES);
  const names = new NameGenerator(4294967295, "h", "");
  const longest = entryOf(
    "x".repeat(MAX_NAME_BYTES),
    999,
    "c",
    names.token(36 ** 10 - 1),
  );
  assert.ok(
    utf8(longest).length <= MAX_ENTRY_BYTES - 11,
    "room for a due time",
  );
});

test("compareUtf8() orders as UTF-8 bytes do", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: "grapheme" }),
      (a, b) => {
        const bytes = Math.sign(Buffer.compare(utf8(a), utf8(b)));
        assert.equal(Math.sign(compareUtf8(a, b)), bytes);
      },
    ),
    { numRuns: 2000 },
  );
  // UTF-16 puts U+1F600 before U+FFFF; UTF-8 after.
  assert.ok("\u{1F600}" < "\uffff");
  assert.ok(compareUtf8("\uffff", "\u{1F600}") < 0);
});

test("claimOrder() sorts by name in UTF-8 order, then attempts, leaving out what is not due", () => {
  const t = new NameGenerator(1, "h", "").token(0);
  const now = 1_000_000;
  const entries = [
    "\u{1F600}",
    "b",
    `a~2.r.${t}`,
    "\uffff",
    `a~1.r.${t}`,
    "a",
    `later~0.w.${(now + 1).toString(36)}.${t}`,
    `due~0.w.${now.toString(36)}.${t}`,
    "x".repeat(MAX_ENTRY_BYTES - 10), // too long to take a claim suffix
  ];
  assert.deepEqual(claimOrder(entries, now), [
    "a",
    `a~1.r.${t}`,
    `a~2.r.${t}`,
    "b",
    `due~0.w.${now.toString(36)}.${t}`,
    "\uffff",
    "\u{1F600}",
  ]);
  assert.deepEqual(claimOrder(["c", "a", "b"], now), ["a", "b", "c"]);
  // plain names (the fast path), one too long to claim
  const long = "x".repeat(MAX_ENTRY_BYTES - 10);
  assert.deepEqual(claimOrder(["c", long, "a"], now), ["a", "c"]);
});

test("Candidates shares one listing among concurrent refills and drops it on invalidate()", async () => {
  let reads = 0;
  let listing = ["a", "b", "c"];
  const candidates = new Candidates(() => {
    reads++;
    return Promise.resolve([...listing]);
  });
  await Promise.all([candidates.refill(), candidates.refill()]);
  assert.equal(reads, 1);
  assert.equal(candidates.take(), "a");
  candidates.invalidate();
  assert.equal(candidates.take(), undefined);
  listing = ["a2", "b", "c"];
  await candidates.refill();
  assert.deepEqual([candidates.take(), candidates.take()], ["a2", "b"]);
});

test("Candidates does not install a listing read before an invalidate()", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const candidates = new Candidates(async () => {
    await gate;
    return ["stale"];
  });
  const refill = candidates.refill();
  candidates.invalidate(); // a file went back while the listing was read
  release();
  await refill;
  assert.equal(candidates.take(), undefined);
});

test("NameGenerator.token() stays unique when its counter wraps in one millisecond", () => {
  // Started 10 tokens before the wrap: 20 tokens cross it.
  const names = new NameGenerator(7, "h", "", 36 ** 4 - 10);
  const seen = new Set<string>();
  const seqs: string[] = [];
  for (let i = 0; i < 20; i++) {
    const token = names.token(1000);
    seen.add(token);
    seqs.push(token.split(".").at(-1)!);
  }
  assert.equal(seen.size, 20);
  const wrapped = seqs.indexOf("0");
  assert.ok(wrapped > 0, "the counter wrapped");
  // After the wrap the time moves past the clock's 1000: no token of the
  // cycle before (all made at 1000) can come again.
  const times = [...seen].map((t) => parseInt(t.split(".")[2]!, 36));
  assert.ok(times.slice(0, wrapped).every((t) => t === 1000));
  assert.ok(times.slice(wrapped).every((t) => t > 1000), `${times}`);
});

test("hostTag() tells apart hosts, boots and pid namespaces", () => {
  const tags = new Set([
    hostTag("web", "boot-a/pid:[4026531836]"),
    hostTag("web", "boot-a/pid:[4026532999]"), // a container, same host name
    hostTag("web", "boot-b/pid:[4026531836]"), // after a reboot
    hostTag("db", "boot-a/pid:[4026531836]"),
  ]);
  assert.equal(tags.size, 4);
  for (const tag of tags) assert.match(tag, /^[0-9a-z]{10}$/);
});
