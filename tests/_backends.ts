// The backends every shared suite runs against, and the helpers for a fresh
// temporary directory per test. Runs unchanged under Deno, Node and Bun: the
// Deno backend is skipped, with the reason shown, where Deno is not the
// runtime.
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { FileStore, type FileStoreOptions, type FileSystem } from "../mod.ts";
import { memoryFileSystem } from "../src/backends/memory.ts";
import { nodeFileSystem } from "../src/backends/node.ts";

export interface Sandbox {
  fs: FileSystem;
  /** A fresh, empty directory (absolute path). */
  dir: string;
  /** Makes a symbolic link, outside the interface. */
  symlink(target: string, at: string): void;
  /** Removes everything. */
  cleanup(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Why this backend cannot run here, or undefined. */
  skip: string | undefined;
  /** Whether it is a real disk. */
  real: boolean;
  sandbox(): Promise<Sandbox>;
}

export const isDeno: boolean =
  typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
export const runtime: string = isDeno
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** A fresh temporary directory on the real disk. */
export function tempDir(prefix = "filestore-test-"): {
  dir: string;
  cleanup: () => Promise<void>;
} {
  const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    cleanup: async () => {
      await nodeFs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

function realSandbox(fs: FileSystem): Sandbox {
  const { dir, cleanup } = tempDir();
  return {
    fs,
    dir,
    symlink: (target, at) => nodeFs.symlinkSync(target, at),
    cleanup,
  };
}

export const backends: Backend[] = [
  {
    name: "memory",
    skip: undefined,
    real: false,
    sandbox: () => {
      const fs = memoryFileSystem();
      fs.mkdir("/sandbox");
      return Promise.resolve({
        fs,
        dir: "/sandbox",
        symlink: (target, at) => fs.symlink(target, at),
        cleanup: () => Promise.resolve(),
      });
    },
  },
  {
    name: "node",
    skip: undefined,
    real: true,
    sandbox: () => Promise.resolve(realSandbox(nodeFileSystem())),
  },
  {
    name: "deno",
    skip: isDeno
      ? undefined
      : `the Deno backend needs Deno, this is ${runtime}`,
    real: true,
    sandbox: async () => {
      const { denoFileSystem } = await import("../src/backends/deno.ts");
      return realSandbox(denoFileSystem());
    },
  },
];

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function inTempDir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const { dir, cleanup } = tempDir();
  try {
    return await fn(dir);
  } finally {
    await cleanup();
  }
}

/** Runs `fn` with a fresh sandbox of `backend`, removed afterwards. */
export async function withSandbox(
  backend: Backend,
  fn: (sandbox: Sandbox) => Promise<void>,
): Promise<void> {
  const sandbox = await backend.sandbox();
  try {
    await fn(sandbox);
  } finally {
    await sandbox.cleanup();
  }
}

export const text = (bytes: Uint8Array): string =>
  new TextDecoder().decode(bytes);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A suite for one backend; where the backend cannot run, one skipped test
 * that says why (a skipped describe() is not reported by every runner).
 */
export function backendSuite(
  name: string,
  backend: Backend,
  fn: () => void,
): void {
  if (backend.skip !== undefined) {
    test(`${name}: skipped`, { skip: backend.skip }, () => {});
  } else describe(name, fn);
}

/** What a queue test gets: a prepared store, and how to open more. */
export type StoreSandbox = Sandbox & {
  store: FileStore;
  root: string;
  open: (options?: FileStoreOptions) => FileStore;
  /** How far the stores' clock runs ahead of the real one. */
  clock: { ahead: number };
};

/**
 * A `test()` for `backend` that runs with a prepared store in a fresh
 * sandbox; `defaults` go to every store it opens.
 */
export function storeTest(
  backend: Backend,
  defaults: FileStoreOptions = {},
): (name: string, fn: (s: StoreSandbox) => Promise<void>) => void {
  return (name, fn) =>
    test(name, () =>
      withSandbox(backend, async (sandbox) => {
        const root = `${sandbox.dir}/store`;
        const clock = { ahead: 0 };
        const open = (options: FileStoreOptions = {}) =>
          new FileStore(root, {
            fs: sandbox.fs,
            now: () => Date.now() + clock.ahead,
            ...defaults,
            ...options,
          });
        const store = open();
        await store.prepare();
        await fn({ ...sandbox, store, root, open, clock });
      }));
}

/** The items of an async iterable, in order (Array.fromAsync is Node 22+). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
