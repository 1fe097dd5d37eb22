// The systemd unit of the README's operators' section: the file in
// examples/ is what the README shows, systemd-analyze finds nothing wrong in
// it, and it stops the consumer the way the CLI handles (SIGTERM to the
// control group, a stop timeout longer than consume()'s grace).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const unitPath = fileURLToPath(
  new URL("../examples/filestore-consumer.service", import.meta.url),
);
const unit = nodeFs.readFileSync(unitPath, "utf8");
const readme = nodeFs.readFileSync(
  fileURLToPath(new URL("../README.md", import.meta.url)),
  "utf8",
);

function settings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const m = /^(\w+)=(.*)$/.exec(line);
    assert.ok(m, `not a setting: ${line}`);
    assert.ok(section, `outside a section: ${line}`);
    out.set(`${section}.${m[1]}`, m[2]!);
  }
  return out;
}

test("the README shows the example unit file as it is", () => {
  assert.ok(readme.includes(unit.trim()), "README.md has the unit verbatim");
});

test("the unit stops the consumer as the CLI expects", () => {
  const s = settings(unit);
  assert.match(s.get("Service.ExecStart")!, / consume --watch .*-- \//);
  assert.equal(s.get("Service.KillMode"), "control-group");
  assert.equal(s.get("Service.KillSignal"), "SIGTERM");
  // consume()'s grace is 10 s, then a second; systemd waits longer.
  assert.ok(Number(s.get("Service.TimeoutStopSec")) > 11);
  assert.equal(s.get("Service.RestartPreventExitStatus"), "3");
  assert.equal(s.get("Install.WantedBy"), "multi-user.target");
});

const analyze = spawnSync("systemd-analyze", ["--version"]).status === 0
  ? undefined
  : "systemd-analyze is not installed";

test("systemd-analyze verify finds nothing wrong with the unit", {
  skip: analyze,
}, () => {
  const dir = nodeFs.mkdtempSync(`${os.tmpdir()}/filestore-unit-`);
  try {
    const copy = `${dir}/filestore-consumer.service`;
    nodeFs.writeFileSync(copy, unit);
    const r = spawnSync("systemd-analyze", ["verify", copy], {
      encoding: "utf8",
    });
    const about = r.stderr.split("\n").filter((l) => l.includes(copy));
    assert.deepEqual(about, [], r.stderr);
    assert.equal(r.status, 0, r.stderr);
    // It does see mistakes: a bad value is reported.
    nodeFs.writeFileSync(
      copy,
      unit.replace("KillMode=control-group", "KillMode=bogus"),
    );
    const bad = spawnSync("systemd-analyze", ["verify", copy], {
      encoding: "utf8",
    });
    assert.match(bad.stderr, /kill mode/);
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
});
