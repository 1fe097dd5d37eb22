/**
 * The usage texts of `filestore`: every command with its arguments, what it
 * does and its own options.
 *
 * @module
 */

/** What the usage of one command shows. */
export interface Spec {
  args: string;
  summary: string;
  options: string[];
}

const OPTION_HELP: Record<string, string> = {
  overwrite: "replace a file of the same name in the target area",
  name: "deliver under this name instead of a generated one",
  keep: "keep the finished file in cur instead of removing it",
  "max-attempts": "failures before a file goes to the dead-letter area",
  watch: "keep waiting for new files until SIGINT or SIGTERM",
  concurrency: "how many commands run at once (default 1)",
  "older-than": "age limit, like 90s, 10m, 36h (bare numbers are seconds)",
  delay: "hold the file back this long before it can be claimed (90s, 10m, 2d)",
  backoff:
    "the wait before a retry: none, or INITIAL[,FACTOR[,MAX]] like 15s,3,1h (default)",
  timeout: "fail a file whose command runs longer than this (it is killed)",
  long: "one line per file: attempts, state, age, size, due time, reason",
  all: "every dead letter (with --older-than: those at least that old)",
  "keep-attempts": "keep the attempt count instead of starting from 0",
  lease:
    "how long the claim is valid before it is renewed (touch) or recovered (default 10m)",
  reason: "why it failed: kept with the file, shown by list --long",
  "exit-zero":
    "exit 0 even when files were dead-lettered or claims lost (else 3)",
};

/** Every command: its arguments, what it does, its own options. */
export const COMMANDS: Record<string, Spec> = {
  prepare: { args: "", summary: "create the store", options: [] },
  create: {
    args: "NAME",
    summary: "copy standard input into tmp/NAME",
    options: [],
  },
  list: {
    args: "AREA",
    summary: "full paths, one a line (--json, --long: with details)",
    options: ["long"],
  },
  move: {
    args: "NAME FROM TO",
    summary: "move a file between areas, atomically",
    options: ["overwrite"],
  },
  copy: {
    args: "NAME FROM TO",
    summary: "copy a file to another area, atomically",
    options: ["overwrite"],
  },
  remove: {
    args: "NAME AREA",
    summary: "remove a file (in dead: its entry, or the name it had)",
    options: [],
  },
  cat: {
    args: "NAME AREA",
    summary:
      "write a file's bytes to standard output (in dead: its entry, or the name it had)",
    options: [],
  },
  deliver: {
    args: "[FILE...]",
    summary: "deliver standard input, or each FILE, into new; print each name",
    options: ["name", "delay"],
  },
  claim: {
    args: "",
    summary:
      "claim the first file and print its path (nothing if none); the claim is recovered by age, never because this command exited",
    options: ["lease"],
  },
  touch: {
    args: "NAME",
    summary: "renew a claim, so that recover does not take it back",
    options: [],
  },
  done: {
    args: "NAME",
    summary: "finish a claim (NAME: the path claim printed, or its last part)",
    options: ["keep"],
  },
  release: {
    args: "NAME",
    summary: "return a claim to new untouched",
    options: [],
  },
  fail: {
    args: "NAME",
    summary: "return a claim to new for a retry, or dead-letter it",
    options: ["max-attempts", "delay", "reason"],
  },
  consume: {
    args: "-- CMD [ARGS...]",
    summary:
      "run CMD ARGS... PATH for each file: exit 0 finishes it, else fails",
    options: [
      "watch",
      "concurrency",
      "max-attempts",
      "backoff",
      "timeout",
      "exit-zero",
    ],
  },
  requeue: {
    args: "ENTRY... | --all",
    summary: "move dead letters (or kept files) back to new, attempts from 0",
    options: ["all", "older-than", "keep-attempts"],
  },
  purge: {
    args: "AREA",
    summary: "remove dead letters (dead) or kept files (cur) older than an age",
    options: ["older-than"],
  },
  clean: {
    args: "",
    summary: "remove stale files from tmp (default: older than 36h)",
    options: ["older-than"],
  },
  recover: {
    args: "",
    summary: "return abandoned claims to new (default: older than 10m)",
    options: ["older-than"],
  },
  stats: { args: "", summary: "count and oldest age per area", options: [] },
  help: { args: "[COMMAND]", summary: "show help", options: [] },
};

const OPTION_ARGS: Record<string, string> = {
  name: "NAME",
  "max-attempts": "N",
  concurrency: "N",
  "older-than": "DURATION",
  delay: "DURATION",
  backoff: "SPEC",
  timeout: "DURATION",
  lease: "DURATION",
  reason: "TEXT",
};

const GLOBAL = [
  ["-s, --store DIR", "the store (default: $FILESTORE_DIR)"],
  ["--json", "print results, and errors, as JSON"],
  ["--durability MODE", "full (default), file or none"],
  ["--shared", "the store is shared between hosts (README)"],
  [
    "--no-exclusive-names",
    "shared, and names cannot be chosen (GlusterFS distributed volumes)",
  ],
  ["-h, --help", "show help"],
  ["--version", "show the version"],
];

function table(rows: string[][]): string {
  const width = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map((r) => `  ${r[0]!.padEnd(width)}  ${r[1]}`).join("\n");
}

/**
 * The usage text: all commands, or one command's.
 *
 * @param topic A command name.
 * @returns The text, ending with a newline.
 */
export function usage(topic?: string): string {
  const spec = topic === undefined ? undefined : COMMANDS[topic];
  if (spec === undefined) {
    return [
      "Usage: filestore [--store DIR] <command> [options] [args]",
      "",
      "A file queue in a directory: tmp (being written), new (ready), cur (taken).",
      "",
      "Commands:",
      table(
        Object.entries(COMMANDS).map((
          [name, s],
        ) => [`${name} ${s.args}`.trim(), s.summary]),
      ),
      "",
      "Options:",
      table(GLOBAL),
      "",
      "Areas are tmp, new, cur, wait and dead. 'filestore help COMMAND' shows a command's options.",
      "Exit codes: 0 success, 1 the operation failed, 2 usage error, 3 consume dead-lettered files or lost claims.",
      "",
    ].join("\n");
  }
  const own = spec.options.map((o) => [
    `--${o}${OPTION_ARGS[o] ? " " + OPTION_ARGS[o] : ""}`,
    OPTION_HELP[o]!,
  ]);
  return [
    `Usage: filestore [--store DIR] ${topic} ${spec.args}`.trimEnd(),
    "",
    spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + ".",
    "",
    "Options:",
    table([...own, ...GLOBAL]),
    "",
  ].join("\n");
}
