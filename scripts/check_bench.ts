// `deno task check`: the benchmark's C, Go and Python programs compile (or,
// for Python, parse) wherever the machine has the tool; a missing tool is
// said, not hidden.
import { fileURLToPath } from "node:url";
const dir = fileURLToPath(new URL("bench/", import.meta.url));
const checks: [string, string[]][] = [
  ["cc", ["-fsyntax-only", "-Wall", "-Werror", "-pthread", `${dir}bare.c`]],
  // Parsed, not compiled: nothing is written next to the sources.
  ["python3", [
    "-c",
    "import ast, sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)",
    `${dir}python_dirq.py`,
    `${dir}python_maildir.py`,
  ]],
  ["gofmt", ["-l", "-e", `${dir}gomaildir/main.go`]],
];
let failed = false;
for (const [cmd, args] of checks) {
  let out;
  try {
    out = await new Deno.Command(cmd, { args }).output();
  } catch {
    console.error(`check_bench: no ${cmd}: its program is not checked`);
    continue;
  }
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  // gofmt -l lists files that are not formatted; -e reports syntax errors.
  if (!out.success || (cmd === "gofmt" && text.trim() !== "")) {
    console.error(`check_bench: ${cmd} ${args.join(" ")}\n${text}`);
    failed = true;
  }
}
Deno.exit(failed ? 1 : 0);
