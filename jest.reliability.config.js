/**
 * The reliability suite: PostgreSQL and Redis outages, killed workers and API fuzzing, against real
 * servers the tests start themselves (never the machine's shared PostgreSQL or Redis). Slower than
 * `npm test`, so it runs on its own: `npm run test:reliability`.
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 120000,
  // These tests break connections on purpose; a socket a broken pool never closes must not keep CI waiting.
  forceExit: true,
};
