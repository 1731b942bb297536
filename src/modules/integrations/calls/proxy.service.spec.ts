import { ValidationFailedError } from '../../../core/errors/app-errors.js';
import { proxyTarget } from './proxy.service.js';

describe('proxyTarget', () => {
  it('keeps paths under the base URL', () => {
    expect(proxyTarget('https://us6.api.mailchimp.com/3.0', 'lists/abc/members', '?count=5').href).toBe(
      'https://us6.api.mailchimp.com/3.0/lists/abc/members?count=5',
    );
    expect(proxyTarget('https://api.stripe.com', '/v1/customers', '').href).toBe('https://api.stripe.com/v1/customers');
  });

  it.each(['../3.1/lists', '../../admin', '%2e%2e/secret', '..'])('refuses %s, which climbs out of the base path', (path) => {
    expect(() => proxyTarget('https://us6.api.mailchimp.com/3.0', path, '')).toThrow(ValidationFailedError);
  });

  it.each(['//evil.example/x', 'https://evil.example/x', 'http:/\\evil.example'])('never leaves the origin for %s', (path) => {
    let target: URL | undefined;
    try {
      target = proxyTarget('https://api.stripe.com', path, '');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationFailedError);
    }
    if (target) expect(target.origin).toBe('https://api.stripe.com');
  });
});
