import { readFileSync } from 'node:fs';

/** Jest in ESM mode: SWC compiles TypeScript with the options of .swcrc (legacy decorators and decorator metadata). */
const { $schema, ...swc } = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));

export default {
  // Node's, each worker on its own database and Redis prefix.
  testEnvironment: '<rootDir>/test/environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^plugboard/sdk$': '<rootDir>/src/sdk/index.ts',
    '^plugboard/sdk/testing$': '<rootDir>/src/sdk/testing.ts',
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  // The reliability suite (outages, killed workers, fuzzing) runs separately: npm run test:reliability.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/bench/', '/test/reliability/'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 30000,
  // A worker whose heap has grown past this after a test file is replaced: suites each boot whole apps,
  // and a worker that keeps growing spends ever more of its time collecting garbage.
  workerIdleMemoryLimit: '1GB',
};
