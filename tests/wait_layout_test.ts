// The layout of `wait` (PROTOCOL.md, "The layout of wait"): files in the
// directories of their due times, listings for what is due that read none
// of the files waiting for later, emptied directories removed, files in the
// wrong place moved to theirs, and a producer that races the removal of the
// directory it delivers into.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FileStore } from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import type { FileSystem } from "../src/file_system.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 0, 1);

/** A memory filesystem that logs the directories it lists. */
function logged(now: () => number) {
  const fs = memoryFileSystem({ now });
  const listed: string[] = [];
  const proxy = new Proxy(fs, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === "readDir" || key === "scanDir") {
        return (path: string) => {
          listed.push(path);
          return value.call(target, path);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as FileSystem;
  return { fs: proxy, inner: fs, listed };
}

function tree(fs: ReturnType<typeof memoryFileSystem>, dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readDir(dir)) {
    if (e.isDirectory) {
      out.push(
        `${e.name}/`,
        ...tree(fs, `${dir}/${e.name}`).map((p) => `${e.name}/${p}`),
      );
    } else out.push(e.name);
  }
  return out.sort();
}

test("waiting files live in wait/HI/LO by due time, and claims list only what is due", async () => {
  let now = T0;
  const { fs, inner, listed } = logged(() => now);
  const store = new FileStore("/s", { fs, now: () => now, durability: "none" });
  await store.prepare();
  for (let i = 0; i < 50; i++) {
    await store.deliver("later", {
      name: `l${i}`,
      delay: 24 * HOUR + i * 60_000,
    });
  }
  await store.deliver("soon", { name: "s", delay: 1_000 });
  for (let i = 0; i < 5; i++) await store.deliver("ready", { name: `r${i}` });
  const dirs = tree(inner, "/s/wait").filter((p) => p.endsWith("/"));
  // 50 files a minute apart a day ahead: in one or two HI, some 46 LO.
  assert.ok(dirs.length > 40 && dirs.length < 55, dirs.join(" "));
  const path = (await store.list("wait")).find((p) => p.includes("/s~"))!;
  assert.match(path, /^\/s\/wait\/[0-9a-z]+\/[0-9a-z]+\/s~0\.w\./);

  listed.length = 0;
  now += 1_000;
  const fresh = new FileStore("/s", { fs, now: () => now });
  const names: string[] = [];
  for (let c; (c = await fresh.claim());) {
    names.push(c.name);
    await c.done();
  }
  assert.deepEqual(names, ["r0", "r1", "r2", "r3", "r4", "s"]);
  // Listed: new, the top of wait, and the one HI and LO whose time came;
  // none of the 50 directories of files due tomorrow.
  const inWait = listed.filter((p) => p.startsWith("/s/wait"));
  assert.ok(inWait.length <= 3, inWait.join(" "));
  assert.ok(
    !inWait.some((p) => p.split("/").length === 5 && !path.startsWith(p)),
  );
  // The emptied directory of "s" is gone; the others stay.
  assert.throws(() => inner.lstat(path.slice(0, path.lastIndexOf("/"))), {
    code: "NOT_FOUND",
  });
  const stats = await store.stats();
  assert.equal(stats.wait.count, 50);
  assert.equal(
    stats.wait.ignored,
    0,
    "its directories are not counted as ignored",
  );
  assert.equal(stats.wait.nextDue, T0 + 24 * HOUR);

  // A day later all fifty are due, claimed in order, and wait is empty.
  now += 24 * HOUR + 50 * 60_000;
  const later: string[] = [];
  for (let c; (c = await store.claim());) {
    later.push(c.name);
    await c.done();
  }
  assert.equal(later.length, 50);
  assert.deepEqual(tree(inner, "/s/wait"), []);
});

test("a waiting file in the wrong place is moved to its directory, or promoted when due", async () => {
  let now = T0;
  const fs = memoryFileSystem({ now: () => now });
  const store = new FileStore("/s", { fs, now: () => now });
  await store.prepare();
  await store.deliver("x", { name: "x", delay: HOUR });
  await store.deliver("y", { name: "y", delay: 2 * HOUR });
  // As an older layout (or a hand) left them: at the top of wait.
  for (const p of await store.list("wait")) {
    fs.rename(p, `/s/wait/${p.slice(p.lastIndexOf("/") + 1)}`);
  }
  const before = await store.stats();
  assert.equal(before.wait.count, 0);
  assert.equal(before.wait.ignored, 2, "shown to an operator until moved");
  now += HOUR;
  const first = await store.claim(); // lists wait: x is due, y goes to its place
  assert.equal(first?.name, "x");
  const after = await store.stats();
  assert.deepEqual([after.wait.count, after.wait.ignored], [1, 0]);
  now += HOUR;
  assert.equal((await store.claim())?.name, "y");
});

test("a delivery into wait whose directory a promoter removes meanwhile makes it again", async () => {
  const now = T0;
  const inner = memoryFileSystem({ now: () => now });
  let raced = 0;
  const fs = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === "rename") {
        return (from: string, to: string) => {
          // Just before the rename into an existing directory of wait, a
          // promoter removes it (it was empty): twice in a row.
          const dir = to.slice(0, to.lastIndexOf("/"));
          if (to.startsWith("/s/wait/") && raced < 2) {
            try {
              if (target.readDir(dir).length === 0) {
                target.removeDirectory(dir);
                raced++;
              }
            } catch { /* not made yet */ }
          }
          return value.call(target, from, to);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as FileSystem;
  const store = new FileStore("/s", { fs, now: () => now });
  await store.prepare();
  inner.mkdir("/s/wait");
  // Make the directory of the due time, empty, as a promoter leaves it.
  await store.deliver("a", { name: "a", delay: 5_000 });
  const [first] = await store.list("wait");
  const dir = first!.slice(0, first!.lastIndexOf("/"));
  inner.unlink(first!);
  assert.deepEqual(inner.readDir(dir), []);
  await store.deliver("b", { name: "b", delay: 5_000 });
  assert.equal(raced, 2);
  assert.deepEqual(
    (await store.list("wait")).map((p) =>
      p.slice(dir.length + 1, dir.length + 3)
    ),
    ["b~"],
  );
  // A claim recovered meanwhile is still told lost when it fails into wait.
  await store.deliver("c", { name: "c" });
  const claim = await store.claim();
  inner.unlink(claim!.path); // taken by another process meanwhile
  // Its directory missing (made, then the rename says "not found" again)
  // and there: told lost both ways, with nothing left behind.
  await assert.rejects(claim!.fail("x", { delay: 50 * 60_000 }), {
    code: "CLAIM_LOST",
  });
  await assert.rejects(claim!.fail("x", { delay: 5_000 }), {
    code: "CLAIM_LOST",
  });
  assert.equal((await store.stats()).wait.count, 1);
});
