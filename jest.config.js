/** Jest in ESM mode: SWC compiles TypeScript with legacy decorators and decorator metadata. */
const swc = {
  sourceMaps: 'inline',
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2023',
    keepClassNames: true,
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'es6' },
};

export default {
  testEnvironment: 'node',
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
};
