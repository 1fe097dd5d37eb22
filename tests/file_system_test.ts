// The contract of the FileSystem interface (./testing), run against every
// backend. The memory backend is trusted only because the real ones pass the
// same tests; tests/differential_test.ts compares it call by call with
// node:fs.
import { testFileSystem } from "../src/testing/test_file_system.ts";
import { backends, backendSuite } from "./_backends.ts";

for (const backend of backends) {
  backendSuite(`FileSystem contract (${backend.name})`, backend, () => {
    testFileSystem(`testFileSystem() on ${backend.name}`, backend.sandbox);
  });
}
