import { jest } from '@jest/globals';
import { ConnectionException, DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { connectionFailures } from '../database/connection-failures.js';
import { isDatabaseUnavailable, isRejectedInput } from './database-errors.js';

const withCode = (code: string) => Object.assign(new Error('any text'), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises connection failures by class and code', () => {
    expect(isDatabaseUnavailable(new ConnectionException(new Error('x')))).toBe(true);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '08006', '08001', '53300']) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(true);
      expect(isDatabaseUnavailable(new DriverException(withCode(code)))).toBe(true);
    }
  });

  it('looks through aggregated connection attempts', () => {
    expect(isDatabaseUnavailable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe(true);
  });

  it('does not mistake query errors, outbound HTTP failures, other failures or messages for an outage', () => {
    expect(isDatabaseUnavailable(new UniqueConstraintViolationException(withCode('23505')))).toBe(false);
    expect(isDatabaseUnavailable(withCode('42P01'))).toBe(false);
    expect(isDatabaseUnavailable(withCode('08P01'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});

describe('isRejectedInput', () => {
  it('recognises data exceptions the request caused', () => {
    for (const code of ['22021', '22P05', '22P02', '22001', '22003', '22007', '08P01']) expect(isRejectedInput(new DriverException(withCode(code)))).toBe(true);
    for (const code of ['23505', '08006', '57P01', 'ECONNREFUSED']) expect(isRejectedInput(withCode(code))).toBe(false);
  });
});

describe('uncoded driver errors during an outage', () => {
  it('count as unavailable only right after a connection broke', () => {
    const notQueryable = new Error('any text');
    jest.useFakeTimers({ now: Date.now() });
    try {
      jest.setSystemTime(Date.now() + 60_000);
      expect(isDatabaseUnavailable(notQueryable)).toBe(false);
      connectionFailures.record();
      expect(isDatabaseUnavailable(notQueryable)).toBe(true);
      expect(isDatabaseUnavailable(new DriverException(notQueryable))).toBe(true);
      expect(isDatabaseUnavailable(new TypeError('x'))).toBe(false);
      expect(isDatabaseUnavailable(withCode('23505'))).toBe(false);
      jest.setSystemTime(Date.now() + 11_000);
      expect(isDatabaseUnavailable(notQueryable)).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
