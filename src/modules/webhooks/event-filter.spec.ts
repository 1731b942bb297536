import { EVENT_FILTER_PATTERN, matchesEventFilter } from './event-filter.js';

describe('event filters', () => {
  it('matches exact types, dotted prefixes and *', () => {
    expect(matchesEventFilter(['session.started'], 'session.started')).toBe(true);
    expect(matchesEventFilter(['session.started'], 'session.ended')).toBe(false);
    expect(matchesEventFilter(['integration.*'], 'integration.sync.failed')).toBe(true);
    expect(matchesEventFilter(['integration.sync.*'], 'integration.connected')).toBe(false);
    expect(matchesEventFilter(['integration.*'], 'integrations.connected')).toBe(false);
    expect(matchesEventFilter(['*'], 'room.created')).toBe(true);
    expect(matchesEventFilter([], 'room.created')).toBe(false);
  });

  it('accepts only well-formed filters', () => {
    for (const good of ['*', 'room.*', 'integration.sync.*', 'room.created']) expect(good).toMatch(EVENT_FILTER_PATTERN);
    for (const bad of ['room', 'room.', '.*', 'ROOM.created', 'room*', 'room.*.x', '']) expect(bad).not.toMatch(EVENT_FILTER_PATTERN);
  });
});
