import type { ConnectionFacts } from '../../integrations/index.js';
import { resolutionOf } from './notice-watch.js';
import { errorMessage, expiredMessage, noticeMessage, syncFailingMessage, tokenExpiringMessage } from './notice-text.js';

describe('notice text', () => {
  it('says what to do and why, naming the provider', () => {
    expect(expiredMessage({ name: 'Mailchimp', lastError: 'Re-connect: the refresh token was revoked or has expired' })).toBe(
      'Re-connect Mailchimp: the refresh token was revoked or has expired',
    );
    expect(expiredMessage({ name: 'Mailchimp' })).toBe('Re-connect Mailchimp: its credentials expired');
    expect(errorMessage({ name: 'SendGrid', lastError: 'Re-connect or update the credentials: the provider refused them (bad key)' })).toBe(
      'Re-connect SendGrid or update its credentials: the provider refused them (bad key)',
    );
    expect(errorMessage({ name: 'SendGrid', errorMessage: 'Invalid API key' })).toBe('Check SendGrid: Invalid API key');
    expect(tokenExpiringMessage({ name: 'Meta Ads', tokenExpiresAt: new Date('2099-03-02T16:05:09Z') })).toBe(
      'Re-connect Meta Ads before 2099-03-02 16:05 UTC: its access token expires then and cannot be refreshed',
    );
    expect(tokenExpiringMessage({ name: 'Meta Ads', tokenExpiresAt: new Date('2020-03-02T16:05:09Z') })).toBe(
      'Re-connect Meta Ads: its access token expired on 2020-03-02 16:05 UTC and cannot be refreshed',
    );
    expect(syncFailingMessage({ name: 'Stripe', syncFailures: 3, errorMessage: 'Rate limited' })).toBe('Check Stripe: its last 3 syncs failed (Rate limited)');
  });

  it('writes the opening and the closing message', () => {
    const notice = {
      message: 'Re-connect Mailchimp: the refresh token was revoked',
      resolutionMessage: 'Mailchimp is connected again',
      livemode: false,
      connectionId: 'c1',
      createdAt: new Date('2026-01-01T00:00:00Z'),
    };
    expect(noticeMessage('opened', notice, { name: 'Acme' })).toMatchObject({
      subject: 'Action needed (test mode): Re-connect Mailchimp: the refresh token was revoked',
    });
    expect(noticeMessage('opened', notice, { name: 'Acme' }).text).toContain('Account: Acme (test mode)');
    expect(noticeMessage('closed', notice, { name: 'Acme' }).subject).toBe('Resolved (test mode): Mailchimp is connected again');
  });
});

describe('resolutionOf', () => {
  const soon = new Date(Date.now() + 7 * 86_400_000);
  const facts = (overrides: Partial<ConnectionFacts>): ConnectionFacts => ({
    id: 'c1',
    accountId: 'a',
    livemode: true,
    provider: 'x',
    category: 'other',
    owner: 'account',
    memberId: null,
    status: 'connected',
    displayName: null,
    lastError: null,
    tokenExpiresAt: null,
    ...overrides,
  });

  it('closes what the connection no longer shows, and nothing else', () => {
    expect(resolutionOf({ cause: 'error', episode: 'e' }, facts({}), soon)).toBe('recovered');
    expect(resolutionOf({ cause: 'expired', episode: 'e' }, facts({ status: 'expired' }), soon)).toBeUndefined();
    expect(resolutionOf({ cause: 'sync_failing', episode: 'e' }, facts({}), soon)).toBeUndefined();
    expect(resolutionOf({ cause: 'error', episode: 'e' }, undefined, soon)).toBe('disconnected');
    expect(resolutionOf({ cause: 'sync_failing', episode: 'e' }, facts({ status: 'disconnected' }), soon)).toBe('disconnected');
    const expiry = new Date(Date.now() + 86_400_000);
    expect(resolutionOf({ cause: 'token_expiring', episode: expiry.toISOString() }, facts({ tokenExpiresAt: expiry }), soon)).toBeUndefined();
    const renewed = new Date(Date.now() + 60 * 86_400_000);
    expect(resolutionOf({ cause: 'token_expiring', episode: expiry.toISOString() }, facts({ tokenExpiresAt: renewed }), soon)).toBe('token_renewed');
  });
});
