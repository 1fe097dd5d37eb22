// A process of the kill soak (scripts/soak.ts), on the runtime's default
// backend. Each appends what it did to its own log, one line per event,
// written before and after each step so that a SIGKILL anywhere leaves a
// log the soak can judge:
//   produce DIR LOG TAG   deliver "TAG-i" for i = 0, 1, ...; "A body" once
//                         deliver() returned
//   consume DIR LOG       claim, "H body entry", done(), "D body entry";
//                         "L body entry" when the claim was lost
//   house DIR LOG         recover() and clean() every 300 ms, as a cron
//                         would; "R n" per round
import { appendFileSync } from "node:fs";
import process from "node:process";
import { FileStore } from "../mod.ts";

const [mode, dir, log, tag] = process.argv.slice(2);
const store = new FileStore(dir!, {
  durability: "none",
  maxAttempts: 999,
  backoff: false,
});
const note = (line: string) => appendFileSync(log!, line + "\n");

if (mode === "produce") {
  for (let i = 0;; i++) {
    const body = `${tag}-${i}`;
    await store.deliver(body);
    note(`A ${body}`);
  }
} else if (mode === "consume") {
  await store.consume(async (claim) => {
    const body = await claim.text();
    note(`H ${body} ${claim.entry}`);
    // Some work takes a while: kills then land between a handler and its
    // done(), the redelivery the soak must tell from a double.
    if (Math.random() < 0.1) await new Promise((r) => setTimeout(r, 20));
    try {
      await claim.done();
    } catch (err) {
      if ((err as { code?: string }).code !== "CLAIM_LOST") throw err;
      note(`L ${body} ${claim.entry}`);
      return;
    }
    note(`D ${body} ${claim.entry}`);
  }, { watch: true, pollInterval: 50, concurrency: 2 });
} else if (mode === "house") {
  while (true) {
    const recovered = await store.recover({ olderThan: 5_000 });
    await store.clean({ olderThan: 5_000 });
    note(`R ${recovered.length}`);
    await new Promise((r) => setTimeout(r, 300));
  }
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
