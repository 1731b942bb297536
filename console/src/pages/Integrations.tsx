import { subject } from '@casl/ability';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { SearchField, Input, Label, ToggleButton, ProgressBar } from 'react-aria-components';
import { api, unwrap, type Connection, type Provider, type Schemas } from '../api.ts';
import { useAction } from '../components/action.ts';
import { both, Queried, QueryTable, useList } from '../components/data.tsx';
import { Button, Confirm, ErrorText, formatDate, Loading, Modal, Notice, PageHeader, StatusBadge, Switch } from '../components/ui.tsx';
import { navigate, useLocation } from '../router.ts';
import { useAbility, useSession, type AppAbility } from '../session.tsx';
import { BrandingDialog } from './Branding.tsx';

const SchemaForm = lazy(() => import('../forms/SchemaForm.tsx'));

export const CATEGORY_LABELS: Record<string, string> = {
  email: 'Email',
  payment: 'Payment',
  cloud_storage: 'Cloud storage',
  authentication: 'Authentication',
  crm: 'CRM',
  calendar: 'Calendar',
  sms: 'SMS',
  live_streaming: 'Live streaming',
  marketing: 'Marketing',
  analytics: 'Analytics',
  communication: 'Communication',
  reviews: 'Reviews',
  voice_ai: 'Voice AI',
  ai: 'AI',
};

export const categoryLabel = (category: string) =>
  CATEGORY_LABELS[category] ??
  category
    .split('_')
    .map((word, index) => (word === 'ai' ? 'AI' : index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word))
    .join(' ');

export function useProviders() {
  return useList('providers', '/v1/providers', 60_000);
}

export function useConnections() {
  return useList('connections', '/v1/connections');
}

// The card shows the connection that speaks for the provider: the default one, else the most recent.
function primaryConnection(connections: Connection[]): Connection | undefined {
  return connections.find((c) => c.isDefault && c.status !== 'disconnected') ?? connections.find((c) => c.status !== 'disconnected') ?? connections[0];
}

function planVerdict(provider: Provider, me: Schemas['MeDto']): string {
  const planName = me.plan.charAt(0).toUpperCase() + me.plan.slice(1);
  const key = `integrations.${provider.category}`;
  const limit = key in me.limits ? me.limits[key] : me.limits['integrations.default'];
  if (!provider.plan.allowed && limit === 0) return `Not included in the ${planName} plan`;
  if (limit === null || limit === undefined) return `${planName} plan`;
  const used = me.usage[key] ?? 0;
  return `${planName} plan · ${used} of ${limit} used`;
}

function planReason(ability: AppAbility, action: string, attributes: Record<string, unknown>, type: string): string | undefined {
  const rule = ability.relevantRuleFor(action, subject(type, { ...attributes }));
  return rule?.inverted && rule.reason ? rule.reason.replace(/^plan: /, '') : undefined;
}

export function IntegrationsPage() {
  const { me } = useSession();
  const ability = useAbility();
  const [branding, setBranding] = useState(false);
  const { query } = useLocation();
  const providers = useProviders();
  const connections = useConnections();
  const [category, setCategory] = useState<string>('all');
  const [search, setSearch] = useState('');
  const [openProvider, setOpenProvider] = useState<string | null>(query.get('provider') && !query.get('status') ? query.get('provider') : null);
  const [returned] = useState(() => (query.get('status') ? { provider: query.get('provider'), status: query.get('status'), error: query.get('error') } : null));

  useEffect(() => {
    // The OAuth callback came back here: report it once, then drop the query from the address.
    if (returned) navigate('/console/integrations', { replace: true });
  }, [returned]);

  const byProvider = useMemo(() => {
    const map = new Map<string, Connection[]>();
    for (const connection of connections.data ?? []) {
      if (connection.owner === 'end_user') continue;
      map.set(connection.provider, [...(map.get(connection.provider) ?? []), connection]);
    }
    return map;
  }, [connections.data]);

  const categories = useMemo(() => [...new Set((providers.data ?? []).map((p) => p.category))].sort(), [providers.data]);
  const needle = search.trim().toLowerCase();
  const shown = (providers.data ?? []).filter(
    (p) => (category === 'all' || p.category === category) && (!needle || `${p.name} ${p.id} ${p.description} ${p.category}`.toLowerCase().includes(needle)),
  );
  const current = providers.data?.find((p) => p.id === openProvider);
  const returnedName = providers.data?.find((p) => p.id === returned?.provider)?.name ?? returned?.provider;

  return (
    <>
      <PageHeader title="Integrations">
        {ability.can('manage', 'connections') && <Button onPress={() => setBranding(true)}>Connect page branding</Button>}
      </PageHeader>
      {branding && <BrandingDialog onClose={() => setBranding(false)} />}
      {returned?.status === 'connected' && <Notice tone="success">{returnedName} is connected.</Notice>}
      {returned && returned.status !== 'connected' && (
        <ErrorText>
          {returnedName} was not connected{returned.error ? `: ${returned.error.replace(/_/g, ' ')}` : ''}.
        </ErrorText>
      )}
      <div className="toolbar">
        <div className="chips" role="group" aria-label="Category">
          {['all', ...categories].map((key) => (
            <ToggleButton key={key} className="chip" isSelected={category === key} onChange={() => setCategory(key)}>
              {key === 'all' ? 'All' : categoryLabel(key)}
            </ToggleButton>
          ))}
        </div>
        <SearchField className="field search" value={search} onChange={setSearch} aria-label="Search integrations">
          <Label className="visually-hidden">Search integrations</Label>
          <Input placeholder="Search integrations" />
        </SearchField>
      </div>
      <Queried query={both(providers, connections)}>
        {([providerList]) => (
          <>
            <p className="muted" aria-live="polite">
              {shown.length} of {providerList.length} integrations
            </p>
            <ul className="cards" data-testid="integration-cards">
              {shown.map((provider) => {
                const list = byProvider.get(provider.id) ?? [];
                const primary = primaryConnection(list);
                const active = list.filter((c) => c.status !== 'disconnected').length;
                return (
                  <li key={provider.id} className="card" data-provider={provider.id}>
                    <div className="card-head">
                      <h2>{provider.name}</h2>
                      <StatusBadge status={primary?.status ?? 'not_connected'} />
                    </div>
                    <p className="muted small">{categoryLabel(provider.category)}</p>
                    <p className="card-description">{provider.description}</p>
                    <dl className="facts">
                      {primary?.displayName && primary.status !== 'disconnected' && (
                        <>
                          <dt>Connected to</dt>
                          <dd>{primary.displayName}</dd>
                        </>
                      )}
                      {primary && (
                        <>
                          <dt>Last sync</dt>
                          <dd>{primary.lastSyncAt ? formatDate(primary.lastSyncAt) : 'Never'}</dd>
                        </>
                      )}
                      {active > 1 && (
                        <>
                          <dt>Connections</dt>
                          <dd>{active}</dd>
                        </>
                      )}
                      <dt>Plan</dt>
                      <dd>{planVerdict(provider, me)}</dd>
                    </dl>
                    <Button
                      variant={primary && primary.status !== 'disconnected' ? 'secondary' : 'primary'}
                      onPress={() => setOpenProvider(provider.id)}
                      aria-label={`${primary && primary.status !== 'disconnected' ? 'Manage' : 'Connect'} ${provider.name}`}
                    >
                      {primary && primary.status !== 'disconnected' ? 'Manage' : 'Connect'}
                    </Button>
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </Queried>
      {current && <ProviderDialog provider={current} connections={byProvider.get(current.id) ?? []} onClose={() => setOpenProvider(null)} />}
    </>
  );
}

function ProviderDialog({ provider, connections, onClose }: { provider: Provider; connections: Connection[]; onClose: () => void }) {
  const ability = useAbility();
  const visible = connections.filter((c) => !c.restricted);
  const live = visible.filter((c) => c.status !== 'disconnected');
  const [connecting, setConnecting] = useState(live.length === 0);
  const counted = connections.some((c) => c.status !== 'disconnected' && c.status !== 'suspended');
  const canConnect =
    ability.can('connect', subject('Connection', { owner: 'account' })) &&
    ability.can('connect', subject('Integration', { category: provider.category, counted }));
  const refusal =
    planReason(ability, 'connect', { category: provider.category, counted }, 'Integration') ?? (!provider.plan.allowed ? provider.plan.reason : undefined);

  return (
    <Modal title={provider.name} isOpen onClose={onClose} wide>
      <p className="muted">
        {categoryLabel(provider.category)} · {provider.authType === 'oauth2' ? 'OAuth' : provider.authType === 'api_key' ? 'API key' : provider.authType}
      </p>
      <p>{provider.description}</p>
      {visible.length > 0 && (
        <section aria-label="Connections">
          <h3>Connections</h3>
          <ul className="connection-list">
            {visible.map((connection) => (
              <ConnectionPanel key={connection.id} provider={provider} connection={connection} />
            ))}
          </ul>
        </section>
      )}
      {!canConnect ? (
        refusal ? (
          <Notice tone="warning">{refusal}</Notice>
        ) : live.length === 0 ? (
          <p className="muted">Your role cannot connect integrations.</p>
        ) : null
      ) : connecting ? (
        <ConnectForm provider={provider} onDone={() => setConnecting(false)} />
      ) : (
        <Button onPress={() => setConnecting(true)}>{live.length ? 'Add another connection' : 'Connect'}</Button>
      )}
    </Modal>
  );
}

function ConnectForm({ provider, onDone, reconnect }: { provider: Provider; onDone: () => void; reconnect?: Connection }) {
  const queryClient = useQueryClient();
  const { reload } = useSession();
  const { run, busy, error } = useAction();
  const oauth = provider.authType === 'oauth2';
  const sections = oauth
    ? [
        { key: 'inputs', title: 'Connection', schema: provider.connectionInputs },
        { key: 'settings', title: 'Settings', schema: reconnect ? null : provider.settingsSchema },
      ]
    : [
        { key: 'inputs', title: 'Connection', schema: provider.connectionInputs },
        { key: 'credentials', title: 'Credentials', schema: provider.credentialsSchema },
        { key: 'settings', title: 'Settings', schema: provider.settingsSchema },
      ];

  const submit = (values: Record<string, Record<string, unknown>>) =>
    run(async () => {
      if (oauth) {
        const returnUrl = `/console/integrations?provider=${encodeURIComponent(provider.id)}`;
        const started = reconnect
          ? await unwrap(api.POST('/v1/connections/{id}/oauth/start', { params: { path: { id: reconnect.id } }, body: { returnUrl } as never }))
          : await unwrap(
              api.POST('/v1/connections/oauth/start', {
                body: { provider: provider.id, owner: 'account', returnUrl, inputs: values.inputs, settings: values.settings } as never,
              }),
            );
        location.assign(started.authorizationUrl);
        return;
      }
      if (reconnect && reconnect.owner === 'account' && reconnect.isDefault) {
        await unwrap(
          api.PUT(
            '/v1/integrations/{provider}' as never,
            {
              params: { path: { provider: provider.id } },
              body: { credentials: values.credentials ?? {}, inputs: values.inputs, settings: values.settings },
            } as never,
          ),
        );
      } else {
        await unwrap(
          api.POST('/v1/connections', {
            body: { provider: provider.id, owner: 'account', credentials: values.credentials ?? {}, inputs: values.inputs, settings: values.settings } as never,
          }),
        );
      }
      await queryClient.invalidateQueries({ queryKey: ['connections'] });
      await reload();
      onDone();
    });

  return (
    <section className="connect-form" aria-label={`Connect ${provider.name}`}>
      <h3>{reconnect ? `Reconnect ${provider.name}` : `Connect ${provider.name}`}</h3>
      {oauth && <p className="muted">You will be sent to {provider.name} to approve access, then brought back here.</p>}
      {error && <ErrorText>{error}</ErrorText>}
      <Suspense fallback={<Loading label="Loading form…" />}>
        <SchemaForm
          sections={sections}
          submitLabel={oauth ? `Continue to ${provider.name}` : reconnect ? 'Save and reconnect' : 'Connect'}
          onSubmit={submit}
          busy={busy}
          idPrefix={`connect-${provider.id}`}
        />
      </Suspense>
    </section>
  );
}

type Panel = 'none' | 'configure' | 'history' | 'records' | 'reconnect';

function ConnectionPanel({ provider, connection }: { provider: Provider; connection: Connection }) {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const { reload } = useSession();
  const target = subject('Connection', { ...connection });
  const canConfigure = ability.can('configure', target);
  const canUse = ability.can('use', target);
  const canDisconnect = ability.can('disconnect', target);
  const canConnect = ability.can('connect', target);
  const [panel, setPanel] = useState<Panel>('none');
  const { run, message, error } = useAction();
  const [confirming, setConfirming] = useState(false);
  const [sync, setSync] = useState<{ runId: string; status: string; counts?: Record<string, unknown> } | null>(null);
  const name = connection.label ?? connection.displayName ?? provider.name;
  const disconnected = connection.status === 'disconnected';

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['connections'] });
    await queryClient.invalidateQueries({ queryKey: ['sync-runs', connection.id] });
  };

  const syncNow = () =>
    run(async () => {
      const started = await unwrap(api.POST('/v1/connections/{id}/sync', { params: { path: { id: connection.id } }, body: {} as never }));
      setSync({ runId: started.syncRunId, status: 'queued' });
      for (let i = 0; i < 120; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const runs = await unwrap(api.GET('/v1/connections/{id}/sync-runs', { params: { path: { id: connection.id }, query: { limit: 10 } } }));
        const found = runs.data.find((r) => r.id === started.syncRunId);
        if (!found) continue;
        setSync({ runId: found.id, status: found.status, counts: found.counts });
        if (found.status !== 'queued' && found.status !== 'running') {
          await refresh();
          return found.status === 'succeeded' ? 'Sync finished.' : `Sync ${found.status}${found.error ? `: ${found.error}` : ''}`;
        }
      }
      return 'The sync is still running; see its history.';
    });

  return (
    <li className="connection" data-connection={connection.id}>
      <div className="connection-head">
        <strong>{name}</strong>
        <StatusBadge status={connection.status} />
        {connection.isDefault && !disconnected && <span className="badge badge-default">Default</span>}
        {connection.owner === 'member' && <span className="badge">Personal</span>}
      </div>
      <dl className="facts">
        {connection.displayName && (
          <>
            <dt>Connected to</dt>
            <dd>{connection.displayName}</dd>
          </>
        )}
        <dt>Last sync</dt>
        <dd>{connection.lastSyncAt ? formatDate(connection.lastSyncAt) : 'Never'}</dd>
        <dt>Connected on</dt>
        <dd>{formatDate(connection.connectedAt)}</dd>
        {connection.lastError && (
          <>
            <dt>Problem</dt>
            <dd className="error-text">{connection.lastError}</dd>
          </>
        )}
      </dl>
      {!disconnected && canConfigure && (
        <Switch
          isSelected={connection.autoSync}
          isDisabled={!provider.sync}
          onChange={(autoSync) =>
            run(async () => {
              await unwrap(api.PATCH('/v1/connections/{id}', { params: { path: { id: connection.id } }, body: { autoSync } }));
              await refresh();
              return autoSync ? 'Auto-sync is on.' : 'Auto-sync is off.';
            })
          }
        >
          Auto-sync{connection.syncFrequency ? ` (every ${connection.syncFrequency})` : ''}
        </Switch>
      )}
      <div className="actions wrap">
        {!disconnected && canConfigure && provider.settingsSchema && (
          <Button onPress={() => setPanel(panel === 'configure' ? 'none' : 'configure')}>Configure</Button>
        )}
        {!disconnected && canUse && provider.sync && (
          <Button onPress={syncNow} isDisabled={!!sync && (sync.status === 'queued' || sync.status === 'running')}>
            Sync now
          </Button>
        )}
        {provider.sync && <Button onPress={() => setPanel(panel === 'history' ? 'none' : 'history')}>Sync history</Button>}
        {provider.sync && canUse && <Button onPress={() => setPanel(panel === 'records' ? 'none' : 'records')}>Records</Button>}
        {!disconnected && canUse && (
          <Button
            onPress={() =>
              run(async () => {
                const result = await unwrap(api.POST('/v1/connections/{id}/health-check', { params: { path: { id: connection.id } } }));
                await refresh();
                return `Health: ${result.status}${result.detail ? ` — ${result.detail}` : ''}`;
              })
            }
          >
            Check health
          </Button>
        )}
        {!disconnected && !connection.isDefault && canConfigure && (
          <Button
            onPress={() =>
              run(async () => {
                await unwrap(api.POST('/v1/connections/{id}/default', { params: { path: { id: connection.id } } }));
                await refresh();
                return 'This is now the default connection.';
              })
            }
          >
            Make default
          </Button>
        )}
        {(connection.status === 'expired' || connection.status === 'error' || disconnected) && canConnect && (
          <Button variant="primary" onPress={() => setPanel(panel === 'reconnect' ? 'none' : 'reconnect')}>
            Reconnect
          </Button>
        )}
        {!disconnected && canDisconnect && (
          <Button variant="danger" onPress={() => setConfirming(true)}>
            Disconnect
          </Button>
        )}
      </div>
      {sync && (
        <div className="sync-progress">
          <ProgressBar
            className="progress"
            aria-label="Sync progress"
            isIndeterminate={sync.status === 'queued' || sync.status === 'running'}
            value={sync.status === 'succeeded' ? 100 : 0}
          >
            <div className="progress-track">
              <div className="progress-fill" />
            </div>
          </ProgressBar>
          <span role="status">
            Sync {sync.status}
            {sync.counts && Object.keys(sync.counts).length
              ? ` · ${Object.entries(sync.counts)
                  .map(([model, count]) => `${model}: ${typeof count === 'object' ? JSON.stringify(count) : count}`)
                  .join(', ')}`
              : ''}
          </span>
        </div>
      )}
      {message && <p role="status">{message}</p>}
      {error && <ErrorText>{error}</ErrorText>}
      {panel === 'configure' && <ConfigureForm provider={provider} connection={connection} onDone={() => setPanel('none')} />}
      {panel === 'history' && <SyncHistory connection={connection} />}
      {panel === 'records' && <RecordsPreview connection={connection} />}
      {panel === 'reconnect' && <ConnectForm provider={provider} reconnect={connection} onDone={() => setPanel('none')} />}
      <Confirm
        title={`Disconnect ${name}?`}
        message={<p>Plugboard forgets the credentials; the connection's history stays. You can reconnect later.</p>}
        confirmLabel="Disconnect"
        isOpen={confirming}
        onCancel={() => setConfirming(false)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/v1/connections/{id}', { params: { path: { id: connection.id } } }));
          setConfirming(false);
          await refresh();
          await reload();
        }}
      />
    </li>
  );
}

function ConfigureForm({ provider, connection, onDone }: { provider: Provider; connection: Connection; onDone: () => void }) {
  const queryClient = useQueryClient();
  const { run, busy, error } = useAction();
  return (
    <section className="connect-form" aria-label="Settings">
      <h3>Settings</h3>
      {error && <ErrorText>{error}</ErrorText>}
      <Suspense fallback={<Loading label="Loading form…" />}>
        <SchemaForm
          sections={[{ key: 'settings', title: 'Settings', schema: provider.settingsSchema }]}
          initial={{ settings: connection.settings }}
          submitLabel="Save"
          busy={busy}
          idPrefix={`settings-${connection.id.slice(0, 8)}`}
          onSubmit={(values) =>
            run(async () => {
              await unwrap(api.PATCH('/v1/connections/{id}', { params: { path: { id: connection.id } }, body: { settings: values.settings ?? {} } }));
              await queryClient.invalidateQueries({ queryKey: ['connections'] });
              onDone();
            })
          }
        />
      </Suspense>
    </section>
  );
}

function SyncHistory({ connection }: { connection: Connection }) {
  const runs = useQuery({
    queryKey: ['sync-runs', connection.id],
    queryFn: () => unwrap(api.GET('/v1/connections/{id}/sync-runs', { params: { path: { id: connection.id }, query: { limit: 20 } } })),
  });
  return (
    <QueryTable
      query={runs}
      rows={(page) => page.data}
      empty={<p className="muted">No syncs yet.</p>}
      caption="Sync history"
      columns={['Started', 'Status', 'Trigger', 'Records', 'Duration']}
      row={(run) => (
        <tr key={run.id}>
          <td>{formatDate(run.startedAt ?? run.createdAt)}</td>
          <td>
            {run.status}
            {run.error ? ` — ${run.error}` : ''}
          </td>
          <td>{run.trigger}</td>
          <td>
            {Object.entries(run.counts ?? {})
              .map(([model, count]) => `${model}: ${typeof count === 'object' ? JSON.stringify(count) : String(count)}`)
              .join(', ') || '—'}
          </td>
          <td>{run.durationMs === null ? '—' : `${(run.durationMs / 1000).toFixed(1)} s`}</td>
        </tr>
      )}
    />
  );
}

/** The synced records of one model, newest changes last, as the provider returned them. */
function RecordsPreview({ connection }: { connection: Connection }) {
  const runs = useQuery({
    queryKey: ['sync-runs', connection.id],
    queryFn: () => unwrap(api.GET('/v1/connections/{id}/sync-runs', { params: { path: { id: connection.id }, query: { limit: 20 } } })),
  });
  const models = [...new Set((runs.data?.data ?? []).flatMap((run) => Object.keys(run.counts ?? {})))];
  const [model, setModel] = useState<string | null>(null);
  const chosen = model ?? models[0] ?? null;
  const records = useQuery({
    queryKey: ['records', connection.id, chosen],
    enabled: !!chosen,
    queryFn: () => unwrap(api.GET('/v1/connections/{id}/records', { params: { path: { id: connection.id }, query: { model: chosen!, limit: 20 } } })),
  });
  if (runs.isLoading) return <Loading />;
  if (!models.length) return <p className="muted">No records yet: run a sync first.</p>;
  return (
    <section aria-label="Records">
      <div className="chips" role="group" aria-label="Model">
        {models.map((name) => (
          <ToggleButton key={name} className="chip" isSelected={name === chosen} onChange={() => setModel(name)}>
            {name}
          </ToggleButton>
        ))}
      </div>
      <Queried query={records}>
        {(page) =>
          !page.data.length ? (
            <p className="muted">No {chosen} records.</p>
          ) : (
            <pre tabIndex={0} aria-label={`${chosen} records`}>
              {JSON.stringify(page.data, null, 2)}
            </pre>
          )
        }
      </Queried>
    </section>
  );
}
