/**
 * The command line of `filestore`, parsed with `node:util` `parseArgs` into
 * a typed {@linkcode Command}, and the usage texts.
 *
 * @module
 */

import { parseArgs as parse } from "node:util";
import { COMMANDS } from "./usage.ts";
import type { Area } from "../areas.ts";
import type { Durability } from "../durability.ts";

/** Options every store command takes. */
export interface CommonOptions {
  /** The store's directory. */
  store: string;
  /** Print results as JSON. */
  json: boolean;
  /** Durability of changes, when given. */
  durability?: Durability;
  /** The option `shared` of the store, when given. */
  shared?: true | { exclusiveNames: false };
}

/** A parsed command line. */
export type Command =
  | { command: "help"; topic?: string }
  | { command: "version" }
  | CommonOptions & { command: "prepare" }
  | CommonOptions & { command: "create"; name: string }
  | CommonOptions & { command: "list"; area: Area; long: boolean }
  | CommonOptions & {
    command: "move" | "copy";
    name: string;
    from: Area;
    to: Area;
    overwrite: boolean;
  }
  | CommonOptions & { command: "remove" | "cat"; name: string; area: Area }
  | CommonOptions & {
    command: "deliver";
    files: string[];
    name?: string;
    delay?: number;
  }
  | CommonOptions & { command: "claim"; lease?: number }
  | CommonOptions & { command: "touch"; name: string }
  | CommonOptions & {
    command: "requeue";
    names: string[];
    all: boolean;
    olderThan?: number;
    keepAttempts: boolean;
  }
  | CommonOptions & {
    command: "purge";
    area: "dead" | "cur";
    olderThan: number;
  }
  | CommonOptions & { command: "done"; name: string; keep: boolean }
  | CommonOptions & { command: "release"; name: string }
  | CommonOptions & {
    command: "fail";
    name: string;
    maxAttempts?: number;
    delay?: number;
    reason?: string;
  }
  | CommonOptions & {
    command: "consume";
    watch: boolean;
    concurrency: number;
    maxAttempts?: number;
    backoff?: false | { initial: number; factor?: number; max?: number };
    timeout?: number;
    exitZero: boolean;
    run: [string, ...string[]];
  }
  | CommonOptions & { command: "clean" | "recover"; olderThan?: number }
  | CommonOptions & { command: "stats" };

export { COMMANDS, usage } from "./usage.ts";

/** A command line that cannot be run: exit code 2. */
export class UsageError extends Error {
  /** Always `"USAGE"`. */
  readonly code: string = "USAGE";
  /** The command whose usage to show, if known. */
  readonly topic: string | undefined;
  /**
   * Creates an error.
   *
   * @param message What is wrong.
   * @param topic The command whose usage to show.
   */
  constructor(message: string, topic?: string) {
    super(message);
    this.name = "UsageError";
    this.topic = topic;
  }
}

const AREA_NAMES = ["tmp", "new", "cur", "wait", "dead"];

function area(value: string, topic: string): Area {
  if (!AREA_NAMES.includes(value)) {
    throw new UsageError(
      `'${value}' is not an area (tmp, new, cur, wait or dead)`,
      topic,
    );
  }
  return value as Area;
}

function count(value: string, option: string, topic: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new UsageError(
      `--${option} takes a whole number from 1, not '${value}'`,
      topic,
    );
  }
  return Number(value);
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Reads a duration like `90s`, `10m`, `36h`, `2d` or `500ms`; a bare number
 * is seconds.
 *
 * @param value The text.
 * @returns Milliseconds, or `undefined` if it is not a duration.
 */
export function parseDuration(value: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2] ?? "s"]!;
}

function duration(
  raw: string | undefined,
  option: string,
  command: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (ms === undefined) {
    throw new UsageError(
      `--${option} takes a duration like 90s, 10m, 36h or 2d, not '${raw}'`,
      command,
    );
  }
  return ms;
}

// `none`, or INITIAL[,FACTOR[,MAX]]: durations and a number.
function backoffSpec(
  raw: string,
  command: string,
): false | { initial: number; factor?: number; max?: number } {
  if (raw === "none") return false;
  const [a, f, m, extra] = raw.split(",");
  const initial = parseDuration(a ?? "");
  const factor = f === undefined ? undefined : Number(f);
  const max = m === undefined ? undefined : parseDuration(m);
  if (
    initial === undefined || extra !== undefined ||
    (factor !== undefined && !(factor >= 1 && factor <= 1000)) ||
    (m !== undefined && max === undefined)
  ) {
    throw new UsageError(
      `--backoff takes 'none' or INITIAL[,FACTOR[,MAX]] like 15s,3,1h, not '${raw}'`,
      command,
    );
  }
  return {
    initial,
    ...(factor === undefined ? {} : { factor }),
    ...(max === undefined ? {} : { max }),
  };
}

/**
 * Parses a command line.
 *
 * @param args The arguments, without the program.
 * @param env Reads an environment variable (for `FILESTORE_DIR`).
 * @returns The command.
 * @throws {UsageError} The line cannot be run.
 */
export function parseCommand(
  args: string[],
  env: (name: string) => string | undefined = () => undefined,
): Command {
  let parsed;
  try {
    parsed = parse({
      args,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        store: { type: "string", short: "s" },
        json: { type: "boolean" },
        durability: { type: "string" },
        shared: { type: "boolean" },
        "no-exclusive-names": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        overwrite: { type: "boolean" },
        name: { type: "string" },
        keep: { type: "boolean" },
        "max-attempts": { type: "string" },
        watch: { type: "boolean" },
        concurrency: { type: "string" },
        "older-than": { type: "string" },
        delay: { type: "string" },
        backoff: { type: "string" },
        timeout: { type: "string" },
        long: { type: "boolean" },
        all: { type: "boolean" },
        "keep-attempts": { type: "boolean" },
        lease: { type: "string" },
        reason: { type: "string" },
        "exit-zero": { type: "boolean" },
      },
    });
  } catch (err) {
    const first = args.find((a) => !a.startsWith("-"));
    const topic = first && COMMANDS[first] ? first : undefined;
    throw new UsageError(
      (err as Error).message.replace(/\. To specify a positional.*$/s, ""),
      topic,
    );
  }
  const { values, tokens } = parsed;
  const terminator = tokens.find((t) => t.kind === "option-terminator");
  const before = tokens.filter((t) =>
    t.kind === "positional" &&
    (terminator === undefined || t.index < terminator.index)
  ).map((t) => (t as { value: string }).value);
  const after = terminator === undefined
    ? []
    : args.slice(terminator.index + 1);
  const [name, ...rest] = before;

  if (values.version) return { command: "version" };
  if (name === "help") {
    if (rest.length > 1) throw new UsageError("help takes one command");
    if (rest[0] !== undefined && !COMMANDS[rest[0]]) {
      throw new UsageError(`Unknown command '${rest[0]}'`);
    }
    return rest[0] === undefined
      ? { command: "help" }
      : { command: "help", topic: rest[0] };
  }
  if (values.help) {
    return name !== undefined && COMMANDS[name]
      ? { command: "help", topic: name }
      : { command: "help" };
  }
  if (name === undefined) throw new UsageError("No command given");
  const spec = COMMANDS[name];
  if (spec === undefined) throw new UsageError(`Unknown command '${name}'`);

  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const global = [
      "store",
      "json",
      "durability",
      "shared",
      "no-exclusive-names",
      "help",
      "version",
    ];
    if (!global.includes(token.name) && !spec.options.includes(token.name)) {
      throw new UsageError(
        `The command '${name}' has no option '${token.rawName}'`,
        name,
      );
    }
  }
  if (after.length > 0 && name !== "consume") {
    throw new UsageError(`The command '${name}' takes no '--'`, name);
  }
  const store = values.store ?? env("FILESTORE_DIR");
  if (store === undefined || store === "") {
    throw new UsageError(
      "No store given: use --store DIR or set FILESTORE_DIR",
      name,
    );
  }
  const common: CommonOptions = { store, json: !!values.json };
  if (values.durability !== undefined) {
    const d = values.durability;
    if (d !== "full" && d !== "file" && d !== "none") {
      throw new UsageError(
        `--durability takes full, file or none, not '${d}'`,
        name,
      );
    }
    common.durability = d;
  }
  if (values["no-exclusive-names"]) {
    common.shared = { exclusiveNames: false };
  } else if (values.shared) common.shared = true;
  const expect = (n: number): string[] => {
    if (rest.length !== n) {
      throw new UsageError(
        rest.length < n
          ? `Missing arguments: filestore ${name} ${spec.args}`
          : `Too many arguments: filestore ${name} ${spec.args}`,
        name,
      );
    }
    return rest;
  };
  const maxAttempts = values["max-attempts"] === undefined
    ? undefined
    : count(values["max-attempts"], "max-attempts", name);
  if (maxAttempts !== undefined && maxAttempts > 999) {
    throw new UsageError("--max-attempts is at most 999", name);
  }
  const olderThan = duration(values["older-than"], "older-than", name);
  switch (name) {
    case "prepare":
    case "stats":
      expect(0);
      return { ...common, command: name };
    case "claim": {
      expect(0);
      const lease = duration(values.lease, "lease", name);
      return {
        ...common,
        command: name,
        ...(lease === undefined ? {} : { lease }),
      };
    }
    case "touch": {
      const [file] = expect(1);
      return { ...common, command: name, name: file! };
    }
    case "requeue": {
      if (values.all ? rest.length > 0 : rest.length === 0) {
        throw new UsageError(
          values.all
            ? "requeue --all takes no entries"
            : "requeue needs an ENTRY (see 'filestore list dead --long') or --all",
          name,
        );
      }
      if (olderThan !== undefined && !values.all) {
        throw new UsageError("--older-than goes with --all", name);
      }
      return {
        ...common,
        command: name,
        names: rest,
        all: !!values.all,
        keepAttempts: !!values["keep-attempts"],
        ...(olderThan === undefined ? {} : { olderThan }),
      };
    }
    case "purge": {
      const [a] = expect(1);
      if (a !== "dead" && a !== "cur") {
        throw new UsageError(
          `purge removes from dead or cur (kept files), not '${a}'`,
          name,
        );
      }
      if (olderThan === undefined) {
        throw new UsageError(
          "purge needs --older-than DURATION (0 for all)",
          name,
        );
      }
      return { ...common, command: name, area: a, olderThan };
    }
    case "create": {
      const [file] = expect(1);
      return { ...common, command: name, name: file! };
    }
    case "list": {
      const [a] = expect(1);
      return {
        ...common,
        command: name,
        area: area(a!, name),
        long: !!values.long,
      };
    }
    case "move":
    case "copy": {
      const [file, from, to] = expect(3);
      return {
        ...common,
        command: name,
        name: file!,
        from: area(from!, name),
        to: area(to!, name),
        overwrite: !!values.overwrite,
      };
    }
    case "remove":
    case "cat": {
      const [file, a] = expect(2);
      return { ...common, command: name, name: file!, area: area(a!, name) };
    }
    case "deliver": {
      if (values.name !== undefined && rest.length > 1) {
        throw new UsageError("--name takes one file at most", name);
      }
      const delay = duration(values.delay, "delay", name);
      return {
        ...common,
        command: name,
        files: rest,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(delay === undefined ? {} : { delay }),
      };
    }
    case "done": {
      const [file] = expect(1);
      return { ...common, command: name, name: file!, keep: !!values.keep };
    }
    case "release": {
      const [file] = expect(1);
      return { ...common, command: name, name: file! };
    }
    case "fail": {
      const [file] = expect(1);
      const delay = duration(values.delay, "delay", name);
      return {
        ...common,
        command: name,
        name: file!,
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(delay === undefined ? {} : { delay }),
        ...(values.reason === undefined ? {} : { reason: values.reason }),
      };
    }
    case "consume": {
      if (rest.length > 0 && after.length === 0) {
        throw new UsageError(
          `consume runs a command given after '--': filestore consume -- ${
            rest.join(" ")
          }`,
          name,
        );
      }
      expect(0);
      const [cmd, ...cmdArgs] = after;
      if (cmd === undefined) {
        throw new UsageError("consume needs a command after '--'", name);
      }
      const concurrency = values.concurrency === undefined
        ? 1
        : count(values.concurrency, "concurrency", name);
      const timeout = duration(values.timeout, "timeout", name);
      const backoff = values.backoff === undefined
        ? undefined
        : backoffSpec(values.backoff, name);
      return {
        ...common,
        command: name,
        watch: !!values.watch,
        concurrency,
        run: [cmd, ...cmdArgs] as [string, ...string[]],
        exitZero: !!values["exit-zero"],
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(timeout === undefined ? {} : { timeout }),
        ...(backoff === undefined ? {} : { backoff }),
      };
    }
    case "clean":
    case "recover": {
      expect(0);
      return {
        ...common,
        command: name,
        ...(olderThan === undefined ? {} : { olderThan }),
      };
    }
  }
  throw new UsageError(`Unknown command '${name}'`);
}
