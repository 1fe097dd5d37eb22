/**
 * How much a store does so that a change survives a power cut.
 *
 * @module
 */

/**
 * How much a store does to make a change survive a power cut: `"full"`
 * fsyncs each file and the directories it enters, `"file"` fsyncs the file's
 * data only (an acknowledged delivery may then survive only in `tmp`),
 * `"none"` fsyncs nothing (a power cut may leave empty files visible in
 * `new`).
 */
export type Durability = "full" | "file" | "none";
