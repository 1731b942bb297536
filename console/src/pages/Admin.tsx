import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { useAction } from '../components/action.ts';
import { QueryTable, useList } from '../components/data.tsx';
import { Button, Confirm, ErrorText, formatDate, Outcome, PageHeader, TextField } from '../components/ui.tsx';

export function AdminAccountsPage() {
  const queryClient = useQueryClient();
  const accounts = useList('admin-accounts', '/v1/accounts');
  const [name, setName] = useState('');
  const [ownerId, setOwnerId] = useState('');
  const [plan, setPlan] = useState('');
  const { run, error } = useAction();
  return (
    <>
      <PageHeader title="Accounts" />
      <form
        className="toolbar"
        aria-label="New account"
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            await unwrap(api.POST('/v1/accounts', { body: { name, ownerId, ...(plan ? { plan } : {}) } }));
            setName('');
            setOwnerId('');
            await queryClient.invalidateQueries({ queryKey: ['admin-accounts'] });
          });
        }}
      >
        <TextField label="Name" value={name} onChange={setName} isRequired />
        <TextField label="Owner user id" value={ownerId} onChange={setOwnerId} isRequired />
        <TextField label="Plan" value={plan} onChange={setPlan} placeholder="default plan" />
        <Button type="submit" variant="primary" isDisabled={!name || !ownerId}>
          Create account
        </Button>
      </form>
      {error && <ErrorText>{error}</ErrorText>}
      <QueryTable
        query={accounts}
        caption="Accounts"
        columns={['Name', 'Plan', 'Created', 'Id']}
        row={(account) => (
          <tr key={account.id}>
            <td>{account.name}</td>
            <td>{account.plan}</td>
            <td>{formatDate(account.createdAt)}</td>
            <td>
              <code className="small">{account.id}</code>
            </td>
          </tr>
        )}
      />
    </>
  );
}

export function AdminPluginsPage() {
  const queryClient = useQueryClient();
  const plugins = useList('plugins', '/v1/plugins');
  const [removing, setRemoving] = useState<string | null>(null);
  const { run, error } = useAction();
  const act = (what: () => Promise<unknown>) =>
    run(async () => {
      await what();
      await queryClient.invalidateQueries({ queryKey: ['plugins'] });
      await queryClient.invalidateQueries({ queryKey: ['providers'] });
    });
  return (
    <>
      <PageHeader title="Plugins" />
      {error && <ErrorText>{error}</ErrorText>}
      <QueryTable
        query={plugins}
        caption="Installed plugins"
        columns={['Plugin', 'State', 'Providers', 'Source', 'Actions']}
        row={(plugin) => (
          <tr key={plugin.name}>
            <td>
              {plugin.name} <span className="muted small">{plugin.version}</span>
            </td>
            <td>
              {plugin.state}
              {plugin.error ? <div className="error-text small">{plugin.error}</div> : null}
            </td>
            <td className="small">{(plugin.providers as string[]).join(', ')}</td>
            <td className="small">{plugin.source}</td>
            <td>
              <div className="actions">
                {plugin.state === 'disabled' ? (
                  <Button onPress={() => act(() => unwrap(api.POST('/v1/plugins/{name}/enable', { params: { path: { name: plugin.name } } })))}>Enable</Button>
                ) : (
                  <Button onPress={() => act(() => unwrap(api.POST('/v1/plugins/{name}/disable', { params: { path: { name: plugin.name } } })))}>
                    Disable
                  </Button>
                )}
                {plugin.source !== 'bundled' && (
                  <Button variant="danger" onPress={() => setRemoving(plugin.name)}>
                    Uninstall
                  </Button>
                )}
              </div>
            </td>
          </tr>
        )}
      />
      <Confirm
        title={`Uninstall ${removing ?? ''}?`}
        message={<p>Its providers disappear from every account; connections to them stop working.</p>}
        confirmLabel="Uninstall"
        isOpen={!!removing}
        onCancel={() => setRemoving(null)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/v1/plugins/{name}', { params: { path: { name: removing! } } }));
          setRemoving(null);
          await queryClient.invalidateQueries({ queryKey: ['plugins'] });
        }}
      />
    </>
  );
}

export function AdminMarketplacePage() {
  const queryClient = useQueryClient();
  const entries = useList('marketplace', '/v1/marketplace');
  const { run, message, error } = useAction();
  return (
    <>
      <PageHeader title="Marketplace" />
      <Outcome message={message} error={error} tone="success" />
      <QueryTable
        query={entries}
        empty={<p>The marketplace lists no plugins.</p>}
        caption="Available plugins"
        columns={['Plugin', 'Description', 'Publisher', 'Actions']}
        row={(entry) => (
          <tr key={`${entry.name}@${entry.version}`}>
            <td>
              {entry.name} <span className="muted small">{entry.version}</span>
            </td>
            <td>{entry.description}</td>
            <td>{entry.publisher}</td>
            <td>
              {entry.installed ? (
                <span className="muted">Installed ({entry.installed})</span>
              ) : !entry.compatible ? (
                <span className="muted">Not compatible</span>
              ) : (
                <Button
                  onPress={() =>
                    run(async () => {
                      await unwrap(api.POST('/v1/plugins', { body: { source: `${entry.name}@${entry.version}` } }));
                      await queryClient.invalidateQueries({ queryKey: ['marketplace'] });
                      await queryClient.invalidateQueries({ queryKey: ['plugins'] });
                      return `${entry.name} is installed.`;
                    })
                  }
                >
                  Install <span className="visually-hidden">{entry.name}</span>
                </Button>
              )}
            </td>
          </tr>
        )}
      />
    </>
  );
}
