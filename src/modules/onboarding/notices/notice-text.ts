import type { NoticeResolution } from '../entities/notice.entity.js';

/** What a notice's words are made of. */
export interface NoticeFacts {
  /** The provider's name, e.g. "Mailchimp". */
  name: string;
  /** The connection's lastError: "<what to do>: <why>" as the integrations module writes it. */
  lastError?: string | null;
  /** The event's own error message, when the connection holds none. */
  errorMessage?: string | null;
  tokenExpiresAt?: Date | null;
  syncFailures?: number;
}

const RECONNECT = /^Re-connect( or update the credentials)?: (.+)$/s;

/** The connection expired: "Re-connect Mailchimp: the refresh token was revoked or has expired". */
export function expiredMessage({ name, lastError }: NoticeFacts): string {
  const match = lastError ? RECONNECT.exec(lastError) : null;
  if (match) return `Re-connect ${name}${match[1] ? ' or update its credentials' : ''}: ${match[2]}`;
  return `Re-connect ${name}: ${lastError || 'its credentials expired'}`;
}

/** The provider refused the connection's credentials. */
export function errorMessage({ name, lastError, errorMessage: said }: NoticeFacts): string {
  const match = lastError ? RECONNECT.exec(lastError) : null;
  if (match) return `Re-connect ${name}${match[1] ? ' or update its credentials' : ''}: ${match[2]}`;
  return `Check ${name}: ${lastError || said || 'the provider refused the connection'}`;
}

export function tokenExpiringMessage({ name, tokenExpiresAt }: NoticeFacts): string {
  const when = tokenExpiresAt ? formatUtc(tokenExpiresAt) : 'soon';
  const past = tokenExpiresAt !== null && tokenExpiresAt !== undefined && tokenExpiresAt.getTime() <= Date.now();
  return past
    ? `Re-connect ${name}: its access token expired on ${when} and cannot be refreshed`
    : `Re-connect ${name} before ${when}: its access token expires then and cannot be refreshed`;
}

export function syncFailingMessage({ name, syncFailures = 0, errorMessage: said }: NoticeFacts): string {
  return `Check ${name}: its last ${syncFailures} syncs failed${said ? ` (${said})` : ''}`;
}

const RESOLUTIONS: Record<NoticeResolution, (name: string) => string> = {
  reconnected: (name) => `${name} is connected again`,
  recovered: (name) => `${name} works again`,
  sync_succeeded: (name) => `${name} syncs again`,
  token_renewed: (name) => `${name} has a new access token`,
  disconnected: (name) => `${name} was disconnected: nothing more to do`,
  superseded: (name) => `${name}'s token has expired: a new notice says what to do`,
  dismissed: () => 'Dismissed',
};

export function resolutionMessage(resolution: NoticeResolution, name: string, by?: string): string {
  return resolution === 'dismissed' && by ? `Dismissed by ${by}` : RESOLUTIONS[resolution](name);
}

/** The subject and text of an email about a notice. */
export function noticeMessage(
  kind: 'opened' | 'closed',
  notice: { message: string; resolutionMessage?: string | null; livemode: boolean; connectionId: string; createdAt: Date },
  account: { name: string },
): { subject: string; text: string } {
  const mode = notice.livemode ? '' : ' (test mode)';
  if (kind === 'opened') {
    return {
      subject: `Action needed${mode}: ${notice.message}`,
      text: [
        notice.message,
        '',
        `Account: ${account.name}${mode}`,
        `Connection: ${notice.connectionId}`,
        `Since: ${formatUtc(notice.createdAt)}`,
        '',
        'You receive this because you can manage integrations. You will hear once more when it is resolved.',
      ].join('\n'),
    };
  }
  const resolved = notice.resolutionMessage ?? 'Resolved';
  return {
    subject: `Resolved${mode}: ${resolved}`,
    text: [`Resolved: ${resolved}.`, '', `It was: ${notice.message}`, `Account: ${account.name}${mode}`, `Connection: ${notice.connectionId}`].join('\n'),
  };
}

function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
