// The backend a store uses when none is given: the runtime's own, loaded on
// first use so that no runtime code is part of the core. The npm build
// replaces this file with one that always picks the Node backend.
import type { FileSystem } from "./file_system.ts";

export async function defaultFileSystem(): Promise<FileSystem> {
  const deno = (globalThis as { Deno?: { version?: { deno?: unknown } } })
    .Deno;
  if (typeof deno?.version?.deno === "string") {
    const { denoFileSystem } = await import("./backends/deno.ts");
    return denoFileSystem();
  }
  const { nodeFileSystem } = await import("./backends/node.ts");
  return nodeFileSystem();
}
