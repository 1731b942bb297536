import { proxiedPath } from './proxy-relay.js';
import { proxyTarget } from './proxy.service.js';

/** `…/proxy/*path` as Express hands it over: split on `/`, each segment percent-decoded once. */
describe('proxiedPath', () => {
  it('reaches the same provider path whether the slashes came literally or percent-encoded', () => {
    expect(proxiedPath(['users', 'me', 'calendarList'])).toBe('users/me/calendarList');
    expect(proxiedPath(['users/me/calendarList'])).toBe('users/me/calendarList');
  });

  it('keeps decoded ?, # and % as data of their segment, never a query or a fragment', () => {
    const path = proxiedPath(['files', 'report?.pdf#1', '100%']);
    expect(path).toBe('files/report%3F.pdf%231/100%25');
    expect(proxyTarget('https://api.example.test/v1', path, '?a=1').href).toBe('https://api.example.test/v1/files/report%3F.pdf%231/100%25?a=1');
  });

  it('keeps mail addresses and sub-delimiters readable, and encodes spaces and backslashes', () => {
    expect(proxiedPath(['calendars', 'ana@example.com', 'events'])).toBe('calendars/ana@example.com/events');
    expect(proxiedPath(['a b', 'c\\d', "x:y,z;w=1!'()*"])).toBe("a%20b/c%5Cd/x:y,z;w=1!'()*");
  });

  it('leaves dot segments for proxyTarget to resolve and bound', () => {
    expect(proxiedPath(['..', '..', 'admin'])).toBe('../../admin');
    expect(() => proxyTarget('https://us6.api.mailchimp.com/3.0', proxiedPath(['..', 'admin']), '')).toThrow();
  });
});
