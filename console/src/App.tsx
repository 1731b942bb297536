import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ComponentType } from 'react';
import { api, ApiError, SESSION_ENDED, currentMode, errorMessage, sessionRequest, setCsrfToken, setMode, unwrap, type Me } from './api.ts';
import { Button, ErrorText, Loading, Switch } from './components/ui.tsx';
import { navigate, useLocation } from './router.ts';
import { AbilityProvider, abilityFromRules, SessionContext, type AppAbility, type SessionState } from './session.tsx';
import { IntegrationsPage } from './pages/Integrations.tsx';
import { ApiKeysPage } from './pages/ApiKeys.tsx';
import { WebhooksPage } from './pages/Webhooks.tsx';
import { OnboardingPage } from './pages/Onboarding.tsx';
import { NoticesPage, FlagsPage, PlanPage } from './pages/Account.tsx';
import { AuditPage, TeamPage } from './pages/Team.tsx';
import { AdminAccountsPage, AdminMarketplacePage, AdminPluginsPage } from './pages/Admin.tsx';

const ConnectPage = lazy(() => import('./pages/Connect.tsx'));

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 } } });

interface Entry {
  path: string;
  label: string;
  allowed: (ability: AppAbility, instanceAdmin: boolean) => boolean;
  Page: ComponentType;
  group?: string;
}

// What each role may open comes from the CASL rules of /v1/me; the API refuses the rest regardless.
const ENTRIES: Entry[] = [
  { path: '/console/integrations', label: 'Integrations', allowed: (a) => a.can('view', 'integrations'), Page: IntegrationsPage },
  { path: '/console/onboarding', label: 'Onboarding', allowed: (a) => a.can('view', 'integrations'), Page: OnboardingPage },
  { path: '/console/webhooks', label: 'Webhooks', allowed: (a) => a.can('view', 'webhooks'), Page: WebhooksPage },
  { path: '/console/api-keys', label: 'API keys', allowed: (a) => a.can('view', 'api_keys'), Page: ApiKeysPage },
  { path: '/console/notices', label: 'Notices', allowed: (a) => a.can('view', 'integrations'), Page: NoticesPage },
  { path: '/console/feature-flags', label: 'Feature flags', allowed: (a) => a.can('view', 'integrations'), Page: FlagsPage },
  { path: '/console/plan', label: 'Plan and usage', allowed: (a) => a.can('view', 'account'), Page: PlanPage },
  { path: '/console/team', label: 'Team and roles', allowed: (a) => a.can('view', 'members'), Page: TeamPage },
  { path: '/console/audit-log', label: 'Audit log', allowed: (a) => a.can('view', 'audit'), Page: AuditPage },
  { path: '/console/admin/accounts', label: 'Accounts', group: 'Instance', allowed: (_a, admin) => admin, Page: AdminAccountsPage },
  { path: '/console/admin/plugins', label: 'Plugins', group: 'Instance', allowed: (_a, admin) => admin, Page: AdminPluginsPage },
  { path: '/console/admin/marketplace', label: 'Marketplace', group: 'Instance', allowed: (_a, admin) => admin, Page: AdminMarketplacePage },
];

export function App() {
  const { path } = useLocation();
  if (path === '/connect' || path.startsWith('/connect/')) {
    return (
      <Suspense fallback={<Loading />}>
        <ConnectPage />
      </Suspense>
    );
  }
  return (
    <QueryClientProvider client={queryClient}>
      <ConsoleRoot />
    </QueryClientProvider>
  );
}

type Opening = { signedIn: true } | { signedIn: false; reason?: string };
let opening: Promise<Opening> | undefined;

const SSO_PROVIDERS: Record<string, string> = { google_sso: 'Google', microsoft_sso: 'Microsoft' };
/** Single sign-on the signed-out page offers: `/console/sign-in?account=<id>&sso=google_sso,microsoft_sso`. */
const ssoOffer = (() => {
  const query = new URLSearchParams(location.search);
  const account = query.get('account');
  const providers = (query.get('sso') ?? '').split(',').filter((provider) => provider in SSO_PROVIDERS);
  return account && /^[0-9a-f-]{36}$/i.test(account) ? providers.map((provider) => ({ provider, account })) : [];
})();

/** Redeems a sign-in link's one-time code or a single sign-on's, or finds the current session; once per page load. */
function openSession(): Promise<Opening> {
  opening ??= (async (): Promise<Opening> => {
    if (location.pathname === '/console/sign-in/sso') {
      const query = new URLSearchParams(location.search);
      // The one-time code must not linger in the address bar or the history.
      history.replaceState(null, '', '/console/sign-in');
      const code = query.get('code');
      if (query.get('status') !== 'signed_in' || !code) {
        return { signedIn: false, reason: `Single sign-on did not sign you in (${query.get('error') ?? 'no code'}).` };
      }
      try {
        setCsrfToken((await sessionRequest('POST', { ssoCode: code }))!.csrfToken);
      } catch (e) {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) return { signedIn: false, reason: e.message };
        throw e;
      }
      navigate('/console/', { replace: true });
      return { signedIn: true };
    }
    if (location.pathname === '/console/sign-in') {
      const code = new URLSearchParams(location.hash.slice(1)).get('code');
      // The one-time code must not linger in the address bar or the history.
      history.replaceState(null, '', '/console/sign-in');
      if (!code) return { signedIn: false };
      try {
        setCsrfToken((await sessionRequest('POST', { code }))!.csrfToken);
      } catch (e) {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500)
          return { signedIn: false, reason: 'This link has expired or was already used; ask for a new one.' };
        throw e;
      }
      navigate('/console/', { replace: true });
      return { signedIn: true };
    }
    try {
      setCsrfToken((await sessionRequest('GET'))!.csrfToken);
      return { signedIn: true };
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return { signedIn: false };
      throw e;
    }
  })();
  return opening;
}

type Phase =
  { kind: 'loading' } | { kind: 'signed-out'; reason?: string } | { kind: 'signed-in'; me: Me; instanceAdmin: boolean } | { kind: 'failed'; message: string };

function ConsoleRoot() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });

  const loadMe = useCallback(async () => {
    const me = await unwrap(api.GET('/v1/me'));
    setPhase({ kind: 'signed-in', me, instanceAdmin: me.instanceAdmin });
  }, []);

  useEffect(() => {
    const ended = () => {
      setCsrfToken('');
      queryClient.clear();
      setPhase({ kind: 'signed-out', reason: 'Your session has ended.' });
    };
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);

  useEffect(() => {
    let cancelled = false;
    openSession()
      .then(async (outcome) => {
        if (cancelled) return;
        if (outcome.signedIn) await loadMe();
        else setPhase({ kind: 'signed-out', reason: outcome.reason });
      })
      .catch((e) => !cancelled && setPhase({ kind: 'failed', message: errorMessage(e) }));
    return () => {
      cancelled = true;
    };
  }, [loadMe]);

  if (phase.kind === 'loading') return <Loading label="Opening the console…" />;
  if (phase.kind === 'signed-out') return <SignedOut reason={phase.reason} />;
  if (phase.kind === 'failed')
    return (
      <main className="centered">
        <h1>Plugboard console</h1>
        <ErrorText>{phase.message}</ErrorText>
      </main>
    );
  return <Shell me={phase.me} instanceAdmin={phase.instanceAdmin} reload={loadMe} onSignedOut={() => setPhase({ kind: 'signed-out' })} />;
}

function SignedOut({ reason }: { reason?: string }) {
  useEffect(() => {
    if (location.pathname !== '/console/signed-out') history.replaceState(null, '', '/console/signed-out');
  }, []);
  return (
    <main className="centered signed-out">
      <h1>Plugboard console</h1>
      {reason ? <ErrorText>{reason}</ErrorText> : <p>You are signed out.</p>}
      <p>Open the console from your platform, or ask an administrator for a sign-in link.</p>
      {ssoOffer.map(({ provider, account }) => (
        <p key={provider}>
          <a className="btn" href={`/v1/sso/${provider}/authorize?${new URLSearchParams({ account, returnUrl: '/console/sign-in/sso' }).toString()}`}>
            Sign in with {SSO_PROVIDERS[provider]}
          </a>
        </p>
      ))}
    </main>
  );
}

function Shell({ me, instanceAdmin, reload, onSignedOut }: { me: Me; instanceAdmin: boolean; reload: () => Promise<void>; onSignedOut: () => void }) {
  const { path } = useLocation();
  const ability = useMemo(() => abilityFromRules(me.rules), [me.rules]);
  const [testMode, setTestMode] = useState(currentMode() === 'test');
  const entries = ENTRIES.filter((entry) => entry.allowed(ability, instanceAdmin));
  const current = entries.find((entry) => path === entry.path || path.startsWith(`${entry.path}/`));
  const known = ENTRIES.some((entry) => path === entry.path || path.startsWith(`${entry.path}/`));

  useEffect(() => {
    if (!current && !known && entries[0]) navigate(entries[0].path, { replace: true });
  }, [current, known, entries]);

  const session: SessionState = useMemo(
    () => ({
      me,
      instanceAdmin,
      reload,
      signOut: async () => {
        await sessionRequest('DELETE').catch(() => undefined);
        setCsrfToken('');
        opening = Promise.resolve({ signedIn: false });
        queryClient.clear();
        onSignedOut();
      },
    }),
    [me, instanceAdmin, reload, onSignedOut],
  );

  useEffect(() => {
    document.title = current ? `${current.label} · ${me.account.name} · Plugboard` : 'Plugboard console';
  }, [current, me.account.name]);

  const groups = [undefined, 'Instance'];
  return (
    <SessionContext.Provider value={session}>
      <AbilityProvider value={ability}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <div className="shell">
          <header className="topbar">
            <span className="brand">Plugboard</span>
            <span className="account-name" data-testid="account-name">
              {me.account.name}
            </span>
            <span className="muted">{me.role ?? ''}</span>
            <Switch
              isSelected={testMode}
              onChange={async (test) => {
                // Members see and change live objects unless they ask for test mode, request by request.
                setTestMode(test);
                setMode(test ? 'test' : 'live');
                queryClient.clear();
                await reload();
              }}
            >
              Test mode
            </Switch>
            <Button variant="link" onPress={() => session.signOut()}>
              Sign out
            </Button>
          </header>
          <nav className="sidebar" aria-label="Console">
            {groups.map((group) => {
              const items = entries.filter((entry) => entry.group === group);
              if (!items.length) return null;
              return (
                <div key={group ?? 'account'}>
                  {group && <h2 className="nav-group">{group}</h2>}
                  <ul>
                    {items.map((entry) => (
                      <li key={entry.path}>
                        <a
                          href={entry.path}
                          aria-current={entry === current ? 'page' : undefined}
                          onClick={(event) => {
                            if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                            event.preventDefault();
                            navigate(entry.path);
                          }}
                        >
                          {entry.label}
                        </a>
                      </li>
                    ))}
                  </ul>
                </div>
              );
            })}
          </nav>
          <main id="main" className="content" tabIndex={-1}>
            {current ? (
              <current.Page key={current.path} />
            ) : known ? (
              <>
                <h1>Not available</h1>
                <p>Your role does not include this page.</p>
              </>
            ) : entries.length === 0 ? (
              <>
                <h1>Nothing to show</h1>
                <p>Your role does not include any console page.</p>
              </>
            ) : (
              <Loading />
            )}
          </main>
        </div>
      </AbilityProvider>
    </SessionContext.Provider>
  );
}
