import { EVENT_FILTER_PATTERN } from './event-filter.js';

// How filters match is tested once for both its TypeScript and SQL forms: test/integration/event-filter-parity.test.ts.
describe('event filters', () => {
  it('accepts only well-formed filters', () => {
    for (const good of ['*', 'room.*', 'integration.sync.*', 'room.created']) expect(good).toMatch(EVENT_FILTER_PATTERN);
    for (const bad of ['room', 'room.', '.*', 'ROOM.created', 'room*', 'room.*.x', '']) expect(bad).not.toMatch(EVENT_FILTER_PATTERN);
  });
});
