import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { allPages, api, errorMessage, unwrap, type Schemas } from '../api.ts';
import { Button, Confirm, ErrorText, formatDate, Loading, Notice, PageHeader, TextField } from '../components/ui.tsx';

export function AdminAccountsPage() {
  const queryClient = useQueryClient();
  const accounts = useQuery({
    queryKey: ['admin-accounts'],
    queryFn: () => allPages<Schemas['AccountDto']>((cursor) => unwrap(api.GET('/v1/accounts', { params: { query: { limit: 100, cursor } } }))),
  });
  const [name, setName] = useState('');
  const [ownerId, setOwnerId] = useState('');
  const [plan, setPlan] = useState('');
  const [error, setError] = useState('');
  return (
    <>
      <PageHeader title="Accounts" />
      <form
        className="toolbar"
        aria-label="New account"
        onSubmit={async (event) => {
          event.preventDefault();
          setError('');
          try {
            await unwrap(api.POST('/v1/accounts', { body: { name, ownerId, ...(plan ? { plan } : {}) } }));
            setName('');
            setOwnerId('');
            await queryClient.invalidateQueries({ queryKey: ['admin-accounts'] });
          } catch (e) {
            setError(errorMessage(e));
          }
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
      {accounts.isLoading ? (
        <Loading />
      ) : accounts.error ? (
        <ErrorText>{errorMessage(accounts.error)}</ErrorText>
      ) : (
        <table className="table">
          <caption>Accounts</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Plan</th>
              <th scope="col">Created</th>
              <th scope="col">Id</th>
            </tr>
          </thead>
          <tbody>
            {(accounts.data ?? []).map((account) => (
              <tr key={account.id}>
                <td>{account.name}</td>
                <td>{account.plan}</td>
                <td>{formatDate(account.createdAt)}</td>
                <td>
                  <code className="small">{account.id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function AdminPluginsPage() {
  const queryClient = useQueryClient();
  const plugins = useQuery({
    queryKey: ['plugins'],
    queryFn: () => allPages<Schemas['PluginDto']>((cursor) => unwrap(api.GET('/v1/plugins', { params: { query: { limit: 100, cursor } } }))),
  });
  const [error, setError] = useState('');
  const [removing, setRemoving] = useState<string | null>(null);
  const act = async (what: () => Promise<unknown>) => {
    setError('');
    try {
      await what();
      await queryClient.invalidateQueries({ queryKey: ['plugins'] });
      await queryClient.invalidateQueries({ queryKey: ['providers'] });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <>
      <PageHeader title="Plugins" />
      {error && <ErrorText>{error}</ErrorText>}
      {plugins.isLoading ? (
        <Loading />
      ) : plugins.error ? (
        <ErrorText>{errorMessage(plugins.error)}</ErrorText>
      ) : (
        <table className="table">
          <caption>Installed plugins</caption>
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">State</th>
              <th scope="col">Providers</th>
              <th scope="col">Source</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(plugins.data ?? []).map((plugin) => (
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
                      <Button onPress={() => act(() => unwrap(api.POST('/v1/plugins/{name}/enable', { params: { path: { name: plugin.name } } })))}>
                        Enable
                      </Button>
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
            ))}
          </tbody>
        </table>
      )}
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
  const entries = useQuery({
    queryKey: ['marketplace'],
    queryFn: () => allPages<Schemas['MarketplaceEntryDto']>((cursor) => unwrap(api.GET('/v1/marketplace', { params: { query: { limit: 100, cursor } } }))),
  });
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  return (
    <>
      <PageHeader title="Marketplace" />
      {message && <Notice tone="success">{message}</Notice>}
      {error && <ErrorText>{error}</ErrorText>}
      {entries.isLoading ? (
        <Loading />
      ) : entries.error ? (
        <ErrorText>{errorMessage(entries.error)}</ErrorText>
      ) : !entries.data?.length ? (
        <p>The marketplace lists no plugins.</p>
      ) : (
        <table className="table">
          <caption>Available plugins</caption>
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">Description</th>
              <th scope="col">Publisher</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((entry) => (
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
                      onPress={async () => {
                        setError('');
                        setMessage('');
                        try {
                          await unwrap(api.POST('/v1/plugins', { body: { source: `${entry.name}@${entry.version}` } }));
                          setMessage(`${entry.name} is installed.`);
                          await queryClient.invalidateQueries({ queryKey: ['marketplace'] });
                          await queryClient.invalidateQueries({ queryKey: ['plugins'] });
                        } catch (e) {
                          setError(errorMessage(e));
                        }
                      }}
                    >
                      Install <span className="visually-hidden">{entry.name}</span>
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
