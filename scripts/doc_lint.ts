// `deno task check`'s doc lint: `deno doc --lint` of every entry point that
// deno.json exports (its one list of them), after checking that its import
// map names each export under the package's name (for the docs' examples).
const root = new URL("..", import.meta.url);
const config = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", root)),
) as {
  name: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
};
const expected = Object.fromEntries(
  Object.entries(config.exports).map((
    [key, path],
  ) => [key === "." ? config.name : `${config.name}${key.slice(1)}`, path]),
);
const own = Object.fromEntries(
  Object.entries(config.imports).filter(([key]) => key.startsWith(config.name)),
);
if (JSON.stringify(own) !== JSON.stringify(expected)) {
  console.error(
    "doc_lint: deno.json's imports must name each export under the package's name:\n" +
      JSON.stringify(expected, null, 2),
  );
  Deno.exit(1);
}
const lint = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...Object.values(config.exports)],
  cwd: root,
}).spawn().status;
Deno.exit(lint.code);
