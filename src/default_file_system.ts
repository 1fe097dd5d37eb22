/**
 * The backend a store uses when none is given: the runtime's own, loaded on
 * first use so that no runtime code is part of the core. The npm build uses
 * `default_file_system_node.ts` in its place, which always picks the Node
 * backend.
 *
 * @module
 */
import type { FileSystem } from "./file_system.ts";

/**
 * The runtime's own backend: Deno's under Deno, `node:fs` elsewhere.
 *
 * @returns The filesystem.
 */
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
