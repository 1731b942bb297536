import createClient from 'openapi-fetch';
import { type CSSProperties, lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type { paths } from '../../../clients/typescript/src/generated/openapi.ts';
import { ApiError, errorMessage, unwrap, type Schemas } from '../api.ts';
import { useAction } from '../components/action.ts';
import { Button, ErrorText, Loading } from '../components/ui.tsx';
import { categoryLabel } from './Integrations.tsx';

const SchemaForm = lazy(() => import('../forms/SchemaForm.tsx'));

type SessionView = Schemas['ConnectSessionViewDto'];
type ConnectProvider = Schemas['ConnectProviderDto'];
type Branding = Schemas['ConnectBrandingDto'];

const STORAGE_KEY = 'plugboard.connect.token';

/**
 * The connect session token arrives in the URL (`/connect/<token>` or `/connect#<token>`); it is moved
 * out of the address bar at once and kept for this tab only, so a reload still works.
 */
function takeToken(): string | null {
  const fromPath = decodeURIComponent(location.pathname.replace(/^\/connect\/?/, ''));
  const hash = location.hash.slice(1);
  const fromHash = hash.startsWith('cs_') ? hash : new URLSearchParams(hash).get('token');
  const token = fromPath || fromHash;
  if (token) {
    sessionStorage.setItem(STORAGE_KEY, token);
    history.replaceState(null, '', '/connect');
    return token;
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

/** Tells the page that opened or embeds this one, when there is one; answers whether it did. */
function notifyHost(returnUrl: string, message: Record<string, unknown>): boolean {
  let origin: string;
  try {
    origin = new URL(returnUrl).origin;
  } catch {
    return false;
  }
  const payload = { type: 'plugboard:connect', ...message };
  if (window.opener && window.opener !== window) {
    (window.opener as Window).postMessage(payload, origin);
    return true;
  }
  if (window.parent !== window) {
    window.parent.postMessage(payload, origin);
    return true;
  }
  return false;
}

/** Dark or light text, whichever reads better on the colour (WCAG relative luminance). */
function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const channel = parseInt(hex.slice(i, i + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#1b1f24';
}

/** The account's colours as the stylesheet's custom properties, set through the CSSOM (the CSP allows no style attribute in HTML). */
function brandStyle(branding: Branding | undefined): CSSProperties {
  const style: Record<string, string> = {};
  if (branding?.primaryColor) {
    style['--accent'] = branding.primaryColor;
    style['--accent-text'] = textOn(branding.primaryColor);
  }
  if (branding?.accentColor) {
    style['--focus'] = branding.accentColor;
    style['--brand-band'] = branding.accentColor;
  }
  return style as CSSProperties;
}

function BrandHeader({ branding }: { branding: Branding | undefined }) {
  if (!branding?.name && !branding?.logo) return null;
  return (
    <header className="connect-brand">
      {branding.logo && <img className="brand-logo" src={branding.logo} alt={branding.name ? `${branding.name} logo` : 'Logo'} />}
      {branding.name && <span className="brand-name">{branding.name}</span>}
    </header>
  );
}

export default function ConnectPage() {
  const [token] = useState(takeToken);
  const client = useMemo(() => {
    const c = createClient<paths>({ baseUrl: location.origin, credentials: 'omit' });
    c.use({
      onRequest({ request }) {
        request.headers.set('Authorization', `Bearer ${token}`);
        return request;
      },
    });
    return c;
  }, [token]);
  const [session, setSession] = useState<SessionView | null>(null);
  const [failure, setFailure] = useState('');
  const [chosen, setChosen] = useState<ConnectProvider | null>(null);
  const { run, busy, error } = useAction();
  const [done, setDone] = useState<{ provider: string; redirectUrl: string } | null>(null);

  useEffect(() => {
    document.title = 'Connect an integration';
    if (!token) {
      setFailure('This link is incomplete. Go back and start again.');
      return;
    }
    unwrap(client.GET('/v1/connect/session'))
      .then((view) => {
        setSession(view);
        if (view.branding.name) document.title = `Connect an integration · ${view.branding.name}`;
        if (view.providers.length === 1) setChosen(view.providers[0]!);
      })
      .catch((e) =>
        setFailure(e instanceof ApiError && e.status === 401 ? 'This link has expired or was already used. Go back and start again.' : errorMessage(e)),
      );
  }, [client, token]);

  const finish = (provider: string, connectionId: string, redirectUrl: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setDone({ provider, redirectUrl });
    if (notifyHost(session!.returnUrl, { status: 'connected', provider, connectionId })) {
      if (window.opener) window.close();
      return;
    }
    location.assign(redirectUrl);
  };

  const submit = (values: Record<string, Record<string, unknown>>) =>
    run(async () => {
      if (!chosen) return;
      if (chosen.authType === 'oauth2') {
        const started = await unwrap(client.POST('/v1/connect/oauth/start', { body: { provider: chosen.id, inputs: values.inputs } as never }));
        location.assign(started.authorizationUrl);
        return;
      }
      const completed = await unwrap(
        client.POST('/v1/connect/connections', {
          body: { provider: chosen.id, credentials: values.credentials ?? {}, settings: values.settings, inputs: values.inputs } as never,
        }),
      );
      finish(chosen.id, completed.connectionId, completed.redirectUrl);
    });

  return (
    <main className="connect-page" style={brandStyle(session?.branding)}>
      <BrandHeader branding={session?.branding} />
      {failure ? (
        <>
          <h1>Connect an integration</h1>
          <ErrorText>{failure}</ErrorText>
        </>
      ) : !session ? (
        <Loading />
      ) : done ? (
        <>
          <h1>Connected</h1>
          <p role="status">{session.providers.find((p) => p.id === done.provider)?.name ?? done.provider} is connected. You can close this window.</p>
          <a href={done.redirectUrl}>Continue</a>
        </>
      ) : chosen ? (
        <>
          <h1>Connect {chosen.name}</h1>
          {session.providers.length > 1 && (
            <Button variant="link" onPress={() => setChosen(null)}>
              ← Other integrations
            </Button>
          )}
          {chosen.authType === 'oauth2' && <p className="muted">You will be sent to {chosen.name} to approve access, then brought back.</p>}
          {error && <ErrorText>{error}</ErrorText>}
          <Suspense fallback={<Loading label="Loading form…" />}>
            <SchemaForm
              key={chosen.id}
              idPrefix={`connect-${chosen.id}`}
              busy={busy}
              submitLabel={chosen.authType === 'oauth2' ? `Continue to ${chosen.name}` : 'Connect'}
              onSubmit={submit}
              sections={
                chosen.authType === 'oauth2'
                  ? [{ key: 'inputs', title: 'Connection', schema: chosen.connectionInputs }]
                  : [
                      { key: 'inputs', title: 'Connection', schema: chosen.connectionInputs },
                      { key: 'credentials', title: 'Credentials', schema: chosen.credentialsSchema },
                      { key: 'settings', title: 'Settings', schema: chosen.settingsSchema },
                    ]
              }
            />
          </Suspense>
        </>
      ) : (
        <>
          <h1>Connect an integration</h1>
          <p>Choose what to connect.</p>
          <ul className="provider-list">
            {session.providers.map((provider) => (
              <li key={provider.id}>
                <Button onPress={() => setChosen(provider)}>
                  <span>{provider.name}</span>
                  <span className="muted small">{categoryLabel(provider.category)}</span>
                </Button>
              </li>
            ))}
          </ul>
        </>
      )}
    </main>
  );
}
