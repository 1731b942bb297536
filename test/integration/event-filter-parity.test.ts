import pg from 'pg';
import { eventFilterMatchesSql, eventTagsMatchSql, matchesEventFilter, matchesEventTags } from '../../src/modules/webhooks/event-filter.js';

/** One table of filters run through both the TypeScript matcher (single publishes) and the SQL one (batch fan-out). */
const CASES: [filters: string[], type: string, matches: boolean][] = [
  [['session.started'], 'session.started', true],
  [['session.started'], 'session.ended', false],
  [['session.started'], 'session.started.late', false],
  [['integration.*'], 'integration.connected', true],
  [['integration.*'], 'integration.sync.failed', true],
  [['integration.*'], 'integrations.connected', false],
  [['integration.*'], 'integration', false],
  [['integration.sync.*'], 'integration.connected', false],
  [['integration.sync.*'], 'integration.sync.completed', true],
  [['*'], 'room.created', true],
  [[], 'room.created', false],
  [['room.created', 'session.*'], 'session.ended', true],
  [['room.created', 'session.*'], 'participant.joined', false],
  [['room_x.*'], 'room_x.created', true],
  [['room_x.*'], 'roomAx.created', false],
];

/** Endpoint tags against event data, through both paths. */
const TAG_CASES: [tags: string[], data: unknown, matches: boolean][] = [
  [[], { tags: ['creator'] }, true],
  [[], {}, true],
  [['creator'], { tags: ['creator', 'eu'] }, true],
  [['creator', 'us'], { tags: ['eu', 'us'] }, true],
  [['creator'], { tags: ['eu'] }, false],
  [['creator'], {}, false],
  [['creator'], { tags: 'creator' }, false],
  [['creator'], { tags: [1, null, { tag: 'creator' }] }, false],
  [['1'], { tags: [1] }, false],
];

describe('event filter: TypeScript and SQL agree', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(() => db.end());

  it.each(CASES)('%j against %s → %s', async (filters, type, matches) => {
    expect(matchesEventFilter(filters, type)).toBe(matches);
    const { rows } = await db.query<{ matches: boolean }>(`select ${eventFilterMatchesSql('$1::jsonb', '$2::text')} as matches`, [
      JSON.stringify(filters),
      type,
    ]);
    expect(rows[0].matches).toBe(matches);
  });

  it.each(TAG_CASES)('endpoint tags %j against %j → %s', async (tags, data, matches) => {
    expect(matchesEventTags(tags, data)).toBe(matches);
    const { rows } = await db.query<{ matches: boolean }>(`select ${eventTagsMatchSql('$1::text[]', '$2::jsonb')} as matches`, [tags, JSON.stringify(data)]);
    expect(rows[0].matches).toBe(matches);
  });
});
