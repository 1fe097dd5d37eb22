// Backends that answer at once, by promise, or by promise for some calls
// only, for the tests of the paths that await nothing where the backend
// answers at once; and a count of the microtask turns a promise takes.
import type { FileSystem } from "../mod.ts";

// Every call of `inner` (or those of `only`) answered by a promise, settled
// a turn later.
export function promising(inner: FileSystem, only?: string[]): FileSystem {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || key === "processAlive") return value;
      if (only && !only.includes(String(key))) return value.bind(target);
      return async (...args: unknown[]) => {
        await null;
        return await (value as (...a: unknown[]) => unknown).apply(
          target,
          args,
        );
      };
    },
  });
}

export type Answer = "at once" | "by promise" | "by promise for renames only";

export function answering(fs: FileSystem, answer: Answer): FileSystem {
  return answer === "at once"
    ? fs
    : promising(fs, answer === "by promise" ? undefined : ["rename"]);
}

export const ANSWERS: Answer[] = [
  "at once",
  "by promise",
  "by promise for renames only",
];
// How many turns of the microtask queue pass before `p` settles.
export async function turns(p: Promise<unknown>): Promise<number> {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  let n = 0;
  while (!settled && n < 1000) {
    await null;
    n++;
  }
  return n;
}
