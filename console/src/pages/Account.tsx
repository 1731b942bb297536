import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api.ts';
import { useAction } from '../components/action.ts';
import { QueryTable, Table, useList } from '../components/data.tsx';
import { Button, ErrorText, formatDate, Notice, PageHeader, Switch } from '../components/ui.tsx';
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
  const { run, error } = useAction();
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
      <QueryTable
        query={notices}
        rows={(page) => page.data}
        empty={<p>No {status} notices.</p>}
        caption={status === 'open' ? 'Open notices' : 'Closed notices'}
        columns={['Opened', 'Provider', 'Message', status === 'open' ? 'Actions' : 'Resolution']}
        row={(notice: Schemas['NoticeDto']) => (
          <tr key={notice.id}>
            <td>{formatDate(notice.openedAt)}</td>
            <td>{notice.provider}</td>
            <td>{notice.message}</td>
            <td>
              {status === 'open'
                ? canDismiss && (
                    <Button
                      onPress={() =>
                        run(async () => {
                          await unwrap(api.POST('/v1/notices/{id}/dismiss', { params: { path: { id: notice.id } } }));
                          await queryClient.invalidateQueries({ queryKey: ['notices'] });
                        })
                      }
                    >
                      Dismiss
                    </Button>
                  )
                : `${notice.resolution ?? ''} ${formatDate(notice.closedAt)}`}
            </td>
          </tr>
        )}
      />
    </>
  );
}

const SOURCES: Record<string, string> = { default: 'Default', override: 'Set for this account', not_connected: 'Off: its integration is not connected' };

export function FlagsPage() {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const flags = useList('flags', '/v1/feature-flags');
  const { run, error } = useAction();
  const canChange = ability.can('manage', 'integrations');
  const set = (key: string, value: boolean | null) =>
    run(async () => {
      await unwrap(api.PATCH('/v1/feature-flags/{key}', { params: { path: { key } }, body: { value } }));
      await queryClient.invalidateQueries({ queryKey: ['flags'] });
    });
  return (
    <>
      <PageHeader title="Feature flags" />
      <p className="muted">A flag of an integration pauses its automatic reactions and scheduled syncs while off.</p>
      {error && <ErrorText>{error}</ErrorText>}
      <QueryTable
        query={flags}
        caption="Flags"
        columns={['Flag', 'Value', 'Why', 'Override']}
        row={(flag) => (
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
        )}
      />
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
      <Table
        testId="plan-limits"
        caption="Limits"
        columns={['Feature', 'Limit', 'Used']}
        rows={rows}
        row={(row) => (
          <tr key={row.feature}>
            <td>{row.label}</td>
            <td>{row.feature === 'webhooks' ? (row.limit === 0 ? 'Not included' : 'Included') : limitText(row.limit)}</td>
            <td>{row.used === undefined ? '—' : row.limit ? `${row.used} of ${row.limit}` : row.used}</td>
          </tr>
        )}
      >
        {'integrations.default' in me.limits && (
          <tr>
            <td>Every other category of integrations</td>
            <td>{limitText(otherLimit)}</td>
            <td>—</td>
          </tr>
        )}
      </Table>
      {Object.values(me.limits).some((limit) => limit !== null) && <Notice>Ask your platform's administrator for a plan with more.</Notice>}
    </>
  );
}
