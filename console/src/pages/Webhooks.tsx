import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, unwrap, type Schemas } from '../api.ts';
import { useAction } from '../components/action.ts';
import { Queried, QueryTable, Table, useList } from '../components/data.tsx';
import { Button, Checkbox, Confirm, formatDate, FormDialog, Modal, Notice, Outcome, PageHeader, Switch, TextField } from '../components/ui.tsx';
import { useAbility } from '../session.tsx';

type Endpoint = Schemas['WebhookEndpointDto'];
type EventType = Schemas['EventTypeDto'];
type Delivery = Schemas['DeliveryDto'];

const DISABLED_REASONS: Record<string, string> = {
  manual: 'Disabled',
  failing: 'Disabled: its deliveries kept failing',
  gone: 'Disabled: the receiver answered 410 Gone',
  plan: 'Disabled: the plan does not include webhooks',
};

export function WebhooksPage() {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const endpoints = useList('webhooks', '/v1/webhooks');
  const eventTypes = useList('event-types', '/v1/event-types', 300_000);
  const [editing, setEditing] = useState<Endpoint | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ id: string; value: string } | null>(null);
  const { run, message, error } = useAction();
  const canManage = ability.can('update', 'WebhookEndpoint');
  const canCreate = ability.can('create', 'WebhookEndpoint');
  const canSend = ability.can('send', 'WebhookEndpoint');
  const planRule = ability.relevantRuleFor('create', 'WebhookEndpoint');
  const planRefusal = planRule?.inverted && planRule.reason?.startsWith('plan: ') ? planRule.reason.slice(6) : '';
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['webhooks'] });
  const current = endpoints.data?.find((e) => e.id === selected);

  return (
    <>
      <PageHeader title="Webhooks">
        {canCreate && (
          <Button variant="primary" onPress={() => setEditing('new')}>
            Add endpoint
          </Button>
        )}
      </PageHeader>
      <p className="muted">Plugboard posts the account's events to these endpoints, signed with each endpoint's secret (Standard Webhooks).</p>
      {planRefusal && <Notice tone="warning">{planRefusal.charAt(0).toUpperCase() + planRefusal.slice(1)}.</Notice>}
      <Outcome message={message} error={error} />
      <QueryTable
        query={endpoints}
        empty={<p>No endpoints yet.</p>}
        caption="Endpoints"
        columns={['URL', 'Events', 'State', 'Actions']}
        row={(endpoint) => (
          <tr key={endpoint.id} aria-selected={endpoint.id === selected} data-endpoint={endpoint.id}>
            <td>
              <code>{endpoint.url}</code>
              {endpoint.description && <div className="muted small">{endpoint.description}</div>}
            </td>
            <td>{endpoint.events.join(', ')}</td>
            <td>{endpoint.enabled ? 'Enabled' : (DISABLED_REASONS[endpoint.disabledReason ?? 'manual'] ?? 'Disabled')}</td>
            <td>
              <div className="actions wrap">
                <Button onPress={() => setSelected(endpoint.id === selected ? null : endpoint.id)} aria-label={`Logs of ${endpoint.url}`}>
                  Logs
                </Button>
                {canManage && (
                  <Button onPress={() => setEditing(endpoint)} aria-label={`Edit ${endpoint.url}`}>
                    Edit
                  </Button>
                )}
                {canSend && (
                  <Button
                    aria-label={`Test ${endpoint.url}`}
                    onPress={() =>
                      run(async () => {
                        const sent = await unwrap(api.POST('/v1/webhooks/{id}/test', { params: { path: { id: endpoint.id } }, body: {} }));
                        setSelected(endpoint.id);
                        await queryClient.invalidateQueries({ queryKey: ['deliveries', endpoint.id] });
                        return sent.succeeded
                          ? `Test delivered: the endpoint answered ${sent.responseStatus}.`
                          : `Test failed: ${sent.error ?? `the endpoint answered ${sent.responseStatus}`}.`;
                      })
                    }
                  >
                    Test
                  </Button>
                )}
                {canManage && (
                  <Button variant="danger" onPress={() => setDeleting(endpoint)} aria-label={`Delete ${endpoint.url}`}>
                    Delete
                  </Button>
                )}
              </div>
            </td>
          </tr>
        )}
      />
      {current && (
        <section aria-label="Endpoint details">
          <h2>{current.url}</h2>
          {canManage && (
            <div className="actions wrap">
              <Button
                onPress={() =>
                  run(async () => {
                    const answer = await unwrap(api.GET('/v1/webhooks/{id}/secret', { params: { path: { id: current.id } } }));
                    setSecret({ id: current.id, value: answer.secret });
                  })
                }
              >
                Reveal secret
              </Button>
              <Button
                onPress={() =>
                  run(async () => {
                    const answer = await unwrap(api.POST('/v1/webhooks/{id}/rotate-secret', { params: { path: { id: current.id } }, body: {} }));
                    setSecret({ id: current.id, value: answer.secret });
                    return 'A new secret was made; the old one keeps signing for a while, so receivers can switch.';
                  })
                }
              >
                Rotate secret
              </Button>
              {canSend && (
                <Button
                  onPress={() =>
                    run(async () => {
                      const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
                      const answer = await unwrap(api.POST('/v1/webhooks/{id}/recover', { params: { path: { id: current.id } }, body: { since } }));
                      await queryClient.invalidateQueries({ queryKey: ['deliveries', current.id] });
                      return `${answer.recovered} failed deliveries of the last 24 hours are being sent again.`;
                    })
                  }
                >
                  Recover failed (24 h)
                </Button>
              )}
            </div>
          )}
          {secret?.id === current.id && (
            <p>
              Signing secret: <code className="secret">{secret.value}</code>
            </p>
          )}
          <Deliveries endpoint={current} canRetry={canSend} />
        </section>
      )}
      {editing && (
        <EndpointDialog endpoint={editing === 'new' ? null : editing} eventTypes={eventTypes.data ?? []} onClose={() => setEditing(null)} onSaved={refresh} />
      )}
      <Confirm
        title="Delete this endpoint?"
        message={
          <p>
            <code>{deleting?.url}</code> stops receiving events, and its delivery logs go with it.
          </p>
        }
        confirmLabel="Delete"
        isOpen={!!deleting}
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/v1/webhooks/{id}', { params: { path: { id: deleting!.id } } }));
          if (selected === deleting!.id) setSelected(null);
          setDeleting(null);
          await refresh();
        }}
      />
    </>
  );
}

function Deliveries({ endpoint, canRetry }: { endpoint: Endpoint; canRetry: boolean }) {
  const queryClient = useQueryClient();
  const deliveries = useQuery({
    queryKey: ['deliveries', endpoint.id],
    queryFn: () => unwrap(api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: endpoint.id }, query: { limit: 50 } } })),
    refetchInterval: 5_000,
  });
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Queried query={deliveries}>
      {(page) => (
        <>
          <Table
            testId="deliveries"
            caption="Delivery log"
            columns={['Created', 'Event', 'Status', 'Attempts', 'Response', 'Next attempt', 'Actions']}
            rows={page.data}
            row={(delivery: Delivery) => (
              <tr key={delivery.id} data-delivery={delivery.id}>
                <td>{formatDate(delivery.createdAt)}</td>
                <td>{delivery.event}</td>
                <td>{delivery.status}</td>
                <td>{delivery.attempts}</td>
                <td>{delivery.responseStatus ?? '—'}</td>
                <td>{delivery.nextAttemptAt ? formatDate(delivery.nextAttemptAt) : '—'}</td>
                <td>
                  <div className="actions">
                    <Button onPress={() => setOpen(open === delivery.id ? null : delivery.id)}>Attempts</Button>
                    {canRetry && (
                      <Button
                        onPress={async () => {
                          await unwrap(
                            api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/retry', { params: { path: { id: endpoint.id, deliveryId: delivery.id } } }),
                          );
                          await queryClient.invalidateQueries({ queryKey: ['deliveries', endpoint.id] });
                        }}
                      >
                        Retry
                      </Button>
                    )}
                  </div>
                </td>
              </tr>
            )}
          >
            {page.data.length === 0 && (
              <tr>
                <td colSpan={7}>No deliveries yet.</td>
              </tr>
            )}
          </Table>
          {open && <Attempts endpointId={endpoint.id} deliveryId={open} />}
        </>
      )}
    </Queried>
  );
}

function Attempts({ endpointId, deliveryId }: { endpointId: string; deliveryId: string }) {
  const detail = useQuery({
    queryKey: ['delivery', deliveryId],
    queryFn: () => unwrap(api.GET('/v1/webhooks/{id}/deliveries/{deliveryId}', { params: { path: { id: endpointId, deliveryId } } })),
  });
  return (
    <Queried query={detail}>
      {(delivery) => (
        <section aria-label="Attempts">
          <h3>
            Attempts of {delivery.event} ({delivery.attemptCount})
          </h3>
          {(delivery.attempts as Schemas['AttemptDto'][]).map((attempt, index) => (
            <details key={attempt.id} open={index === 0}>
              <summary>
                {formatDate(attempt.createdAt)} · {attempt.responseStatus ?? 'no response'} · {attempt.durationMs} ms
                {attempt.error ? ` · ${attempt.error}` : ''}
              </summary>
              <h4>Request headers</h4>
              <pre>{JSON.stringify(attempt.requestHeaders, null, 2)}</pre>
              <h4>Response body</h4>
              <pre>{attempt.responseBody || '(empty)'}</pre>
            </details>
          ))}
        </section>
      )}
    </Queried>
  );
}

function EndpointDialog({
  endpoint,
  eventTypes,
  onClose,
  onSaved,
}: {
  endpoint: Endpoint | null;
  eventTypes: EventType[];
  onClose: () => void;
  onSaved: () => Promise<unknown>;
}) {
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [tags, setTags] = useState((endpoint?.tags ?? []).join(', '));
  const [events, setEvents] = useState<string[]>(endpoint?.events ?? []);
  const [enabled, setEnabled] = useState(endpoint?.enabled ?? true);
  const [filter, setFilter] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const groups = useMemo(() => {
    const map = new Map<string, EventType[]>();
    for (const type of eventTypes) {
      if (filter && !type.event.includes(filter.trim())) continue;
      const prefix = type.event.split('.')[0]!;
      map.set(prefix, [...(map.get(prefix) ?? []), type]);
    }
    return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [eventTypes, filter]);
  const toggle = (event: string, on: boolean) => setEvents(on ? [...events, event] : events.filter((e) => e !== event));

  if (created)
    return (
      <Modal title="Endpoint added" isOpen onClose={onClose}>
        <p>Its signing secret (you can reveal it again later):</p>
        <p>
          <code className="secret">{created}</code>
        </p>
        <div className="actions">
          <Button variant="primary" onPress={onClose}>
            Done
          </Button>
        </div>
      </Modal>
    );

  return (
    <FormDialog
      title={endpoint ? 'Edit endpoint' : 'Add endpoint'}
      submitLabel={endpoint ? 'Save' : 'Add endpoint'}
      canSubmit={!!url && events.length > 0}
      onClose={onClose}
      wide
      onSubmit={async () => {
        const body = {
          url,
          events,
          description: description || undefined,
          tags: tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
          enabled,
        };
        if (endpoint) {
          await unwrap(api.PATCH('/v1/webhooks/{id}', { params: { path: { id: endpoint.id } }, body }));
          await onSaved();
          onClose();
        } else {
          const answer = await unwrap(api.POST('/v1/webhooks', { body }));
          await onSaved();
          setCreated(answer.secret);
        }
      }}
    >
      <TextField label="Endpoint URL" type="url" value={url} onChange={setUrl} isRequired placeholder="https://example.com/webhooks/plugboard" />
      <TextField label="Description" value={description} onChange={setDescription} />
      <TextField
        label="Tags"
        value={tags}
        onChange={setTags}
        description="Only events about connections with one of these tags (comma-separated); empty for all."
      />
      <Switch isSelected={enabled} onChange={setEnabled}>
        Enabled
      </Switch>
      <fieldset className="fieldset">
        <legend>Events ({events.length} selected)</legend>
        <Checkbox isSelected={events.includes('*')} onChange={(on) => toggle('*', on)}>
          All events (*)
        </Checkbox>
        <TextField label="Filter event types" type="search" value={filter} onChange={setFilter} />
        {groups.map(([prefix, types]) => (
          <div key={prefix}>
            <h4>
              <Checkbox isSelected={events.includes(`${prefix}.*`)} onChange={(on) => toggle(`${prefix}.*`, on)}>
                {prefix}.* (every {prefix} event)
              </Checkbox>
            </h4>
            <ul className="event-list">
              {types.map((type) => (
                <li key={type.event}>
                  <Checkbox isSelected={events.includes(type.event)} onChange={(on) => toggle(type.event, on)}>
                    <code>{type.event}</code>
                  </Checkbox>
                  <span className="muted small"> {type.description}</span>
                  <details>
                    <summary className="small">Example payload</summary>
                    <pre>{JSON.stringify(type.example, null, 2)}</pre>
                  </details>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </fieldset>
    </FormDialog>
  );
}
