import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Button as AriaButton } from 'react-aria-components';
import { api, unwrap, type Schemas } from '../api.ts';
import { useAction } from '../components/action.ts';
import { both, Queried, QueryTable, Table, useList } from '../components/data.tsx';
import { Button, Confirm, ErrorText, formatDate, FormDialog, PageHeader, TextField } from '../components/ui.tsx';
import { useAbility, useSession } from '../session.tsx';

type Member = Schemas['MemberDto'];
type Role = Schemas['RoleDto'];

function RoleSelect({
  label,
  roles,
  value,
  onChange,
  isDisabled,
}: {
  label: string;
  roles: Role[];
  value: string;
  onChange: (role: string) => void;
  isDisabled?: boolean;
}) {
  return (
    <Select className="field select" selectedKey={value} onSelectionChange={(key) => key !== null && onChange(String(key))} isDisabled={isDisabled}>
      <Label className={label.startsWith('Role of') ? 'visually-hidden' : undefined}>{label}</Label>
      <AriaButton className="btn select-button">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </AriaButton>
      <Popover className="popover">
        <ListBox className="listbox">
          {roles.map((role) => (
            <ListBoxItem key={role.key} id={role.key} className="listbox-item">
              {role.name}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}

export function TeamPage() {
  const ability = useAbility();
  const { me } = useSession();
  const queryClient = useQueryClient();
  const members = useList('members', '/v1/members');
  const roles = useList('roles', '/v1/roles');
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const { run, error } = useAction();
  const canManage = ability.can('manage', 'members');
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['members'] });

  return (
    <>
      <PageHeader title="Team and roles">
        {canManage && (
          <Button variant="primary" onPress={() => setAdding(true)}>
            Add member
          </Button>
        )}
      </PageHeader>
      {error && <ErrorText>{error}</ErrorText>}
      <Queried query={both(members, roles)}>
        {([memberList, roleList]) => (
          <>
            <Table
              caption="Members"
              columns={['User', 'Email', 'Role', 'Added', canManage && 'Actions']}
              rows={memberList}
              row={(member) => (
                <tr key={member.userId}>
                  <td>
                    {member.userId}
                    {member.userId === me.userId ? ' (you)' : ''}
                  </td>
                  <td>{member.email ?? '—'}</td>
                  <td>
                    {canManage ? (
                      <RoleSelect
                        label={`Role of ${member.userId}`}
                        roles={roleList}
                        value={member.role}
                        onChange={(role) =>
                          run(async () => {
                            await unwrap(api.PATCH('/v1/members/{userId}', { params: { path: { userId: member.userId } }, body: { role } }));
                            await refresh();
                          })
                        }
                      />
                    ) : (
                      member.role
                    )}
                  </td>
                  <td>{formatDate(member.createdAt)}</td>
                  {canManage && (
                    <td>
                      <Button variant="danger" onPress={() => setRemoving(member)} aria-label={`Remove ${member.userId}`}>
                        Remove
                      </Button>
                    </td>
                  )}
                </tr>
              )}
            />
            <Table
              caption="Roles"
              columns={['Role', 'Permissions']}
              rows={roleList}
              row={(role) => (
                <tr key={role.key}>
                  <td>
                    {role.name} <code className="small">{role.key}</code>
                    {role.builtIn && <div className="muted small">Built in</div>}
                  </td>
                  <td className="small">{(role.permissions as string[]).join(', ')}</td>
                </tr>
              )}
            />
          </>
        )}
      </Queried>
      {adding && <AddMemberDialog roles={roles.data ?? []} onClose={() => setAdding(false)} onAdded={refresh} />}
      <Confirm
        title={`Remove ${removing?.userId ?? ''}?`}
        message={<p>They lose access to this account at once.</p>}
        confirmLabel="Remove"
        isOpen={!!removing}
        onCancel={() => setRemoving(null)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/v1/members/{userId}', { params: { path: { userId: removing!.userId } } }));
          setRemoving(null);
          await refresh();
        }}
      />
    </>
  );
}

function AddMemberDialog({ roles, onClose, onAdded }: { roles: Role[]; onClose: () => void; onAdded: () => Promise<unknown> }) {
  const [userId, setUserId] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('developer');
  return (
    <FormDialog
      title="Add member"
      submitLabel="Add member"
      canSubmit={!!userId}
      onClose={onClose}
      onSubmit={async () => {
        await unwrap(api.POST('/v1/members', { body: { userId, role, ...(email ? { email } : {}) } }));
        await onAdded();
        onClose();
      }}
    >
      <TextField label="User id" value={userId} onChange={setUserId} isRequired description="Their id in your platform's identity provider." />
      <TextField label="Email" type="email" value={email} onChange={setEmail} />
      <RoleSelect label="Role" roles={roles} value={role} onChange={setRole} />
    </FormDialog>
  );
}

export function AuditPage() {
  const [action, setAction] = useState('');
  const [applied, setApplied] = useState('');
  const entries = useQuery({
    queryKey: ['audit', applied],
    queryFn: () => unwrap(api.GET('/v1/audit-log', { params: { query: { limit: 100, ...(applied ? { action: applied } : {}) } } })),
  });
  return (
    <>
      <PageHeader title="Audit log" />
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied(action.trim());
        }}
      >
        <TextField label="Action" value={action} onChange={setAction} placeholder="e.g. api_key.created" />
        <Button type="submit">Filter</Button>
      </form>
      <QueryTable
        query={entries}
        rows={(page) => page.data}
        caption="Latest entries"
        columns={['When', 'Action', 'By', 'Target', 'Details']}
        row={(entry: Schemas['AuditEntryDto']) => (
          <tr key={entry.id}>
            <td>{formatDate(entry.createdAt)}</td>
            <td>
              <code>{entry.action}</code>
            </td>
            <td>
              {entry.actorType} {entry.actorId}
            </td>
            <td>{entry.targetType ? `${entry.targetType} ${entry.targetId ?? ''}` : '—'}</td>
            <td className="small">{entry.details ? JSON.stringify(entry.details) : ''}</td>
          </tr>
        )}
      />
    </>
  );
}
