/**
 * The npm build's default backend: Node's (also under Bun and Deno). The
 * build copies this file over `default_file_system.ts`.
 *
 * @module
 */
import type { FileSystem } from "./file_system.ts";
import { nodeFileSystem } from "./backends/node.ts";

/**
 * The Node backend.
 *
 * @returns The filesystem.
 */
export function defaultFileSystem(): Promise<FileSystem> {
  return Promise.resolve(nodeFileSystem());
}
