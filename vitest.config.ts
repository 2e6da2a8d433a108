import { defineConfig } from "vitest/config";

// Tests sit beside the code (src/**/X.test.ts) and in test/ for whole-program cases.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
