import { subject } from '@casl/ability';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Radio, RadioGroup, Label } from 'react-aria-components';
import { api, unwrap, type Schemas } from '../api.ts';
import { Queried, Table, useList } from '../components/data.tsx';
import { Button, Checkbox, Confirm, formatDate, FormDialog, Notice, PageHeader, TextField } from '../components/ui.tsx';
import { useAbility, useSession } from '../session.tsx';

type ApiKey = Schemas['ApiKeyDto'];

function keyState(key: ApiKey): string {
  if (key.revokedAt) return 'Revoked';
  if (key.expiresAt && new Date(key.expiresAt) <= new Date()) return 'Expired';
  if (key.expiresAt) return `Active until ${formatDate(key.expiresAt)}`;
  return 'Active';
}

export function ApiKeysPage() {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const keys = useList('api-keys', '/v1/api-keys');
  const [creating, setCreating] = useState(false);
  const [revealed, setRevealed] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [rolling, setRolling] = useState<ApiKey | null>(null);
  const canCreate = ability.can('create', 'ApiKey');
  const active = (keys.data ?? []).filter((k) => keyState(k).startsWith('Active'));
  const inactive = (keys.data ?? []).filter((k) => !keyState(k).startsWith('Active'));
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['api-keys'] });

  const table = (list: ApiKey[], caption: string, actions: boolean) => (
    <Table
      caption={caption}
      columns={['Name', 'Key', 'Mode', 'Status', 'Created', 'Last used', actions && 'Actions']}
      rows={list}
      row={(key) => (
        <tr key={key.id} data-key={key.id}>
          <td>{key.name}</td>
          <td>
            <code>
              {key.start}…{key.last4}
            </code>
          </td>
          <td>{key.mode}</td>
          <td>{keyState(key)}</td>
          <td>{formatDate(key.createdAt)}</td>
          <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : 'Never'}</td>
          {actions && (
            <td>
              <div className="actions">
                {ability.can('roll', subject('ApiKey', { mode: key.mode })) && (
                  <Button onPress={() => setRolling(key)} aria-label={`Roll ${key.name}`}>
                    Roll
                  </Button>
                )}
                {ability.can('revoke', 'ApiKey') && (
                  <Button variant="danger" onPress={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </Button>
                )}
              </div>
            </td>
          )}
        </tr>
      )}
    />
  );

  return (
    <>
      <PageHeader title="API keys">
        {canCreate && (
          <Button variant="primary" onPress={() => setCreating(true)}>
            Create API key
          </Button>
        )}
      </PageHeader>
      <p className="muted">Programs call the API with these keys. A key is shown once, when it is created or rolled.</p>
      {revealed && <RevealedKey name={revealed.name} secret={revealed.key} onDismiss={() => setRevealed(null)} />}
      <Queried query={keys}>
        {() => (
          <>
            {active.length ? table(active, 'Active keys', true) : <p>No active keys.</p>}
            {inactive.length > 0 && table(inactive, 'Revoked and expired keys', false)}
          </>
        )}
      </Queried>
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={async (created) => {
            setCreating(false);
            setRevealed({ name: created.name, key: created.key });
            await refresh();
          }}
        />
      )}
      <Confirm
        title={`Revoke ${revoking?.name ?? ''}?`}
        message={<p>Programs using this key stop working at once. This cannot be undone.</p>}
        confirmLabel="Revoke"
        isOpen={!!revoking}
        onCancel={() => setRevoking(null)}
        onConfirm={async () => {
          await unwrap(api.POST('/v1/api-keys/{id}/revoke', { params: { path: { id: revoking!.id } } }));
          setRevoking(null);
          await refresh();
        }}
      />
      <Confirm
        title={`Roll ${rolling?.name ?? ''}?`}
        message={<p>A new key replaces this one, which stops working at once.</p>}
        confirmLabel="Roll"
        isOpen={!!rolling}
        onCancel={() => setRolling(null)}
        onConfirm={async () => {
          const created = await unwrap(api.POST('/v1/api-keys/{id}/roll', { params: { path: { id: rolling!.id } }, body: { expireOldInSeconds: 0 } }));
          setRolling(null);
          setRevealed({ name: created.name, key: created.key });
          await refresh();
        }}
      />
    </>
  );
}

function RevealedKey({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState('');
  return (
    <Notice tone="success">
      <p>
        <strong>{name}</strong>: copy this key now; it will not be shown again.
      </p>
      <p>
        <code className="secret" data-testid="new-api-key">
          {secret}
        </code>
      </p>
      <div className="actions">
        <Button
          variant="primary"
          onPress={async () => {
            try {
              await navigator.clipboard.writeText(secret);
              setCopied('Copied to clipboard.');
            } catch {
              setCopied('Copying was refused by the browser; select the key and copy it.');
            }
          }}
        >
          Copy to Clipboard
        </Button>
        <Button onPress={onDismiss}>Done</Button>
        <span role="status">{copied}</span>
      </div>
    </Notice>
  );
}

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (created: Schemas['CreatedApiKeyDto']) => Promise<void> }) {
  const ability = useAbility();
  const { me } = useSession();
  const modes = (['test', 'live'] as const).filter((mode) => ability.can('create', subject('ApiKey', { mode })));
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'live' | 'test'>(modes.includes('live') ? 'live' : 'test');
  const [permissions, setPermissions] = useState<string[]>(me.permissions);
  const refusals = (['test', 'live'] as const)
    .filter((m) => !modes.includes(m))
    .map((m) => ability.relevantRuleFor('create', subject('ApiKey', { mode: m }))?.reason?.replace(/^plan: /, ''))
    .filter(Boolean);

  return (
    <FormDialog
      title="Create API key"
      submitLabel="Create key"
      canSubmit={!!name.trim() && modes.length > 0}
      onClose={onClose}
      onSubmit={async () => onCreated(await unwrap(api.POST('/v1/api-keys', { body: { name, mode, permissions: permissions as never } })))}
    >
      <TextField label="Name" value={name} onChange={setName} isRequired />
      <RadioGroup className="field radio-group" value={mode} onChange={(value) => setMode(value as 'live' | 'test')} orientation="horizontal">
        <Label>Mode</Label>
        <Radio value="live" isDisabled={!modes.includes('live')}>
          Live
        </Radio>
        <Radio value="test" isDisabled={!modes.includes('test')}>
          Test
        </Radio>
      </RadioGroup>
      {refusals.map((reason) => (
        <p key={reason} className="muted small">
          {reason}
        </p>
      ))}
      <fieldset className="fieldset">
        <legend>Permissions</legend>
        <div className="checkbox-grid">
          {me.permissions.map((permission) => (
            <Checkbox
              key={permission}
              isSelected={permissions.includes(permission)}
              onChange={(on) => setPermissions(on ? [...permissions, permission] : permissions.filter((p) => p !== permission))}
            >
              {permission}
            </Checkbox>
          ))}
        </div>
      </fieldset>
    </FormDialog>
  );
}
