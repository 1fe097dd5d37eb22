/**
 * The `filestore` command for Deno:
 * `deno run -A jsr:@filestore/filestore/cli --help`.
 *
 * @module
 */

console.log("usage: filestore [--store DIR] <command> [options] [args]");
