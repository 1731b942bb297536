import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { allPages, api, errorMessage, unwrap, type Schemas } from '../api.ts';
import { Button, ErrorText, formatDate, Loading, Notice, PageHeader, Switch } from '../components/ui.tsx';
import { useAbility, useSession } from '../session.tsx';
import { categoryLabel } from './Integrations.tsx';

export function NoticesPage() {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<'open' | 'closed'>('open');
  const notices = useQuery({
    queryKey: ['notices', status],
    queryFn: () => unwrap(api.GET('/v1/notices', { params: { query: { status, limit: 50 } } })),
  });
  const [error, setError] = useState('');
  const canDismiss = ability.can('manage', 'integrations');
  return (
    <>
      <PageHeader title="Notices">
        <Button variant={status === 'open' ? 'primary' : 'secondary'} onPress={() => setStatus('open')} aria-pressed={status === 'open'}>
          Open
        </Button>
        <Button variant={status === 'closed' ? 'primary' : 'secondary'} onPress={() => setStatus('closed')} aria-pressed={status === 'closed'}>
          Closed
        </Button>
      </PageHeader>
      <p className="muted">What needs a person: expired or refused connections, tokens about to expire, syncs that keep failing.</p>
      {error && <ErrorText>{error}</ErrorText>}
      {notices.isLoading ? (
        <Loading />
      ) : notices.error ? (
        <ErrorText>{errorMessage(notices.error)}</ErrorText>
      ) : !notices.data?.data.length ? (
        <p>No {status} notices.</p>
      ) : (
        <table className="table">
          <caption>{status === 'open' ? 'Open notices' : 'Closed notices'}</caption>
          <thead>
            <tr>
              <th scope="col">Opened</th>
              <th scope="col">Provider</th>
              <th scope="col">Message</th>
              <th scope="col">{status === 'open' ? 'Actions' : 'Resolution'}</th>
            </tr>
          </thead>
          <tbody>
            {notices.data.data.map((notice: Schemas['NoticeDto']) => (
              <tr key={notice.id}>
                <td>{formatDate(notice.openedAt)}</td>
                <td>{notice.provider}</td>
                <td>{notice.message}</td>
                <td>
                  {status === 'open'
                    ? canDismiss && (
                        <Button
                          onPress={async () => {
                            setError('');
                            try {
                              await unwrap(api.POST('/v1/notices/{id}/dismiss', { params: { path: { id: notice.id } } }));
                              await queryClient.invalidateQueries({ queryKey: ['notices'] });
                            } catch (e) {
                              setError(errorMessage(e));
                            }
                          }}
                        >
                          Dismiss
                        </Button>
                      )
                    : `${notice.resolution ?? ''} ${formatDate(notice.closedAt)}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const SOURCES: Record<string, string> = { default: 'Default', override: 'Set for this account', not_connected: 'Off: its integration is not connected' };

export function FlagsPage() {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const flags = useQuery({
    queryKey: ['flags'],
    queryFn: () => allPages<Schemas['FeatureFlagDto']>((cursor) => unwrap(api.GET('/v1/feature-flags', { params: { query: { limit: 100, cursor } } }))),
  });
  const [error, setError] = useState('');
  const canChange = ability.can('manage', 'integrations');
  const set = async (key: string, value: boolean | null) => {
    setError('');
    try {
      await unwrap(api.PATCH('/v1/feature-flags/{key}', { params: { path: { key } }, body: { value } }));
      await queryClient.invalidateQueries({ queryKey: ['flags'] });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <>
      <PageHeader title="Feature flags" />
      <p className="muted">A flag of an integration pauses its automatic reactions and scheduled syncs while off.</p>
      {error && <ErrorText>{error}</ErrorText>}
      {flags.isLoading ? (
        <Loading />
      ) : flags.error ? (
        <ErrorText>{errorMessage(flags.error)}</ErrorText>
      ) : (
        <table className="table">
          <caption>Flags</caption>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Value</th>
              <th scope="col">Why</th>
              <th scope="col">Override</th>
            </tr>
          </thead>
          <tbody>
            {(flags.data ?? []).map((flag) => (
              <tr key={flag.key}>
                <td>
                  <code>{flag.key}</code>
                  {flag.description && <div className="muted small">{flag.description}</div>}
                </td>
                <td>
                  <Switch isSelected={flag.value} isDisabled={!canChange} onChange={(value) => set(flag.key, value)}>
                    <span className="visually-hidden">{flag.key}</span>
                    {flag.value ? 'On' : 'Off'}
                  </Switch>
                </td>
                <td>{SOURCES[flag.source] ?? flag.source}</td>
                <td>
                  {flag.override !== null && canChange && (
                    <Button variant="link" onPress={() => set(flag.key, null)}>
                      Reset <span className="visually-hidden">{flag.key}</span> to default
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function limitText(limit: number | null | undefined): string {
  if (limit === null || limit === undefined) return 'Unlimited';
  if (limit === 0) return 'Not included';
  return String(limit);
}

export function PlanPage() {
  const { me } = useSession();
  const planName = me.plan.charAt(0).toUpperCase() + me.plan.slice(1);
  const rows = Object.entries(me.limits)
    .filter(([feature]) => feature !== 'integrations.default')
    .map(([feature, limit]) => {
      const label = feature.startsWith('integrations.')
        ? `${categoryLabel(feature.slice('integrations.'.length))} integrations`
        : feature === 'webhooks'
          ? 'Webhooks'
          : feature === 'api_keys.live'
            ? 'Live API keys'
            : feature === 'api_keys.test'
              ? 'Test API keys'
              : feature;
      // A counted feature with nothing in use yet has no usage entry.
      return { feature, label, limit, used: me.usage[feature] ?? (limit ? 0 : undefined) };
    });
  const otherLimit = me.limits['integrations.default'];
  return (
    <>
      <PageHeader title="Plan and usage" />
      <p>
        <strong>{me.account.name}</strong> is on the <strong data-testid="plan-name">{planName}</strong> plan. Usage is for {me.livemode ? 'live' : 'test'}{' '}
        mode.
      </p>
      <table className="table" data-testid="plan-limits">
        <caption>Limits</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Limit</th>
            <th scope="col">Used</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.feature}>
              <td>{row.label}</td>
              <td>{row.feature === 'webhooks' ? (row.limit === 0 ? 'Not included' : 'Included') : limitText(row.limit)}</td>
              <td>{row.used === undefined ? '—' : row.limit ? `${row.used} of ${row.limit}` : row.used}</td>
            </tr>
          ))}
          {'integrations.default' in me.limits && (
            <tr>
              <td>Every other category of integrations</td>
              <td>{limitText(otherLimit)}</td>
              <td>—</td>
            </tr>
          )}
        </tbody>
      </table>
      {Object.values(me.limits).some((limit) => limit !== null) && <Notice>Ask your platform's administrator for a plan with more.</Notice>}
    </>
  );
}
