// Setup file of vitest.runtimes.config.ts: fails every test file whose worker does not run on the Node line
// scripts/test.mjs asked for (GRAYLANE_EXPECT_NODE), so a run can never pass on the wrong runtime unnoticed.
const expected = process.env.GRAYLANE_EXPECT_NODE;
if (expected && process.versions.node !== expected && process.versions.node.split('.')[0] !== expected) {
  throw new Error(`this worker runs Node ${process.versions.node}, not the expected ${expected} (GRAYLANE_EXPECT_NODE)`);
}
