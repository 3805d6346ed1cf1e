import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ once for the suites that run the built bin.
    globalSetup: ["test/helpers/build.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Large-array tests allocate GiBs; two forks on two cores keep memory bounded.
    pool: "forks",
    maxWorkers: 2,
  },
});
