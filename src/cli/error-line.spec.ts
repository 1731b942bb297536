import { EmbeddedPostgresError } from '../core/database/embedded-postgres.js';
import { errorLine } from './error-line.js';
import { CliError } from './runtime.js';

describe('errorLine', () => {
  it.each([
    ['an Error without a message', new Error(), 'failed with Error and no message; run it again with LOG_LEVEL=debug to see where'],
    [
      'an Error with only a code',
      Object.assign(new Error(''), { code: 'EPERM' }),
      'failed with Error EPERM and no message; run it again with LOG_LEVEL=debug to see where',
    ],
    ['a rejection without a reason', undefined, 'failed with a thrown undefined and no message; run it again with LOG_LEVEL=debug to see where'],
    ['a thrown null', null, 'failed with a thrown null and no message; run it again with LOG_LEVEL=debug to see where'],
    ['an empty object', {}, 'failed with a thrown object and no message; run it again with LOG_LEVEL=debug to see where'],
    ['an empty AggregateError', new AggregateError([]), 'failed with AggregateError and no message; run it again with LOG_LEVEL=debug to see where'],
  ])('names the kind of failure for %s, never "undefined"', (_name, error, line) => {
    expect(errorLine(error)).toBe(line);
  });

  it('takes the message of the first attempt of an AggregateError without one', () => {
    expect(errorLine(new AggregateError([new Error(''), new Error('disk full')], ''))).toBe('disk full');
  });

  it('says PostgreSQL cannot be reached when the driver refuses every address', () => {
    const refused = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' })], '');
    Object.assign(refused, { code: 'ECONNREFUSED' });
    expect(errorLine(refused)).toBe(
      'cannot reach PostgreSQL (ECONNREFUSED): check that DATABASE_URL names a running server, or unset it to use the embedded PostgreSQL',
    );
  });

  it('says to migrate when a table or column is missing', () => {
    expect(errorLine(Object.assign(new Error('column "feed_token" does not exist'), { code: '42703' }))).toBe(
      'column "feed_token" does not exist: the database schema is older than this Plugboard; run `plugboard migrate`',
    );
  });

  it('puts a multi-line message on one line', () => {
    expect(errorLine(new Error('first\n  second'))).toBe('first second');
  });

  it('keeps usage text and embedded database messages as written', () => {
    expect(errorLine(new CliError('--name is required\n\nUsage: …'))).toBe('--name is required\n\nUsage: …');
    expect(errorLine(new EmbeddedPostgresError('DATA_DIR /x is in use'))).toBe('DATA_DIR /x is in use');
  });
});
