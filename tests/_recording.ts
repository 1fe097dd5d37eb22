// Wraps a FileSystem and records every call made through it, to prove that
// refused input never reaches the disk.
import type { FileSystem } from "../mod.ts";

export function recording(inner: FileSystem): {
  fs: FileSystem;
  calls: string[];
} {
  const calls: string[] = [];
  const fs = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || key === "processAlive") return value;
      return (...args: unknown[]) => {
        calls.push(`${String(key)}(${args.map((a) => String(a)).join(", ")})`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { fs, calls };
}
