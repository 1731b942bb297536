import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, errorMessage, unwrap, type Schemas } from '../api.ts';
import { useAction } from '../components/action.ts';
import { Button, ErrorText, formatDate, Loading, Notice, Outcome, PageHeader } from '../components/ui.tsx';
import { navigate } from '../router.ts';
import { useAbility } from '../session.tsx';

type Step = Schemas['OnboardingStepDto'];
type StepProvider = Schemas['OnboardingProviderDto'];

const LEVELS: Record<string, string> = {
  required: 'Required',
  recommended: 'Recommended',
  optional: 'Optional',
};

const STATES: Record<string, string> = {
  connected: 'Connected',
  needs_attention: 'Needs attention',
  skipped: 'Set up later',
  pending: 'Not connected',
};

export function OnboardingPage() {
  const ability = useAbility();
  const queryClient = useQueryClient();
  const onboarding = useQuery({ queryKey: ['onboarding'], queryFn: () => unwrap(api.GET('/v1/onboarding')) });
  const { run: act, message, error } = useAction();
  const canManage = ability.can('manage', 'integrations');
  const run = (what: () => Promise<string | void>) =>
    act(async () => {
      const text = await what();
      await queryClient.invalidateQueries({ queryKey: ['onboarding'] });
      return text;
    });
  const skip = (providers: string[]) => run(async () => void (await unwrap(api.POST('/v1/onboarding/skip', { body: { providers } }))));
  const undo = (provider: string) => run(async () => void (await unwrap(api.DELETE('/v1/onboarding/skip/{provider}', { params: { path: { provider } } }))));

  if (onboarding.isLoading) return <Loading />;
  if (onboarding.error) return <ErrorText>{errorMessage(onboarding.error)}</ErrorText>;
  const data = onboarding.data!;
  const all = (data.steps as Step[]).flatMap((step) => step.providers as StepProvider[]);
  const skippable = all.filter((p) => p.level !== 'required' && p.state === 'pending').map((p) => p.provider);

  return (
    <>
      <PageHeader title="Onboarding">
        {canManage && skippable.length > 0 && <Button onPress={() => skip(skippable)}>Skip All Integrations</Button>}
        {canManage && !data.completedAt && (
          <Button
            variant="primary"
            isDisabled={!data.canLaunch}
            onPress={() =>
              run(async () => {
                await unwrap(api.POST('/v1/onboarding/complete'));
                return 'Onboarding is complete.';
              })
            }
          >
            Launch
          </Button>
        )}
      </PageHeader>
      <p>
        Nothing is blocked but the required integrations: everything else can be set up now or later, from the Integrations page.{' '}
        {data.livemode ? '' : '(Test mode.)'}
      </p>
      {data.completedAt && <Notice tone="success">Launched on {formatDate(data.completedAt)}.</Notice>}
      {!data.canLaunch && (
        <Notice tone="warning">
          Launch waits for the required integrations: {(data.blocking as string[]).map((id) => all.find((p) => p.provider === id)?.name ?? id).join(', ')}.
        </Notice>
      )}
      <Outcome message={message} error={error} />
      <ol className="steps">
        {(data.steps as Step[]).map((step, index) => (
          <li key={step.key} className="card step">
            <div className="card-head">
              <h2>
                Step {index + 1}: {step.title}
              </h2>
              <span className={`badge ${step.done ? 'badge-connected' : ''}`}>{step.done ? 'Done' : (LEVELS[step.level] ?? step.level)}</span>
            </div>
            {step.description && <p className="muted">{step.description}</p>}
            <ul className="onboarding-providers">
              {(step.providers as StepProvider[]).map((provider) => (
                <li key={provider.provider}>
                  <div>
                    <strong>{provider.name}</strong> <span className={`badge level-${provider.level}`}>{LEVELS[provider.level] ?? provider.level}</span>{' '}
                    <span className="muted">{STATES[provider.state] ?? provider.state}</span>
                    {provider.level === 'required' && provider.state !== 'connected' && (
                      <p className="small">Required: launch is blocked until {provider.name} is connected, so it cannot be skipped.</p>
                    )}
                    {provider.skipped && (
                      <p className="small muted">
                        Skipped by {provider.skipped.by.id} on {formatDate(provider.skipped.at)}
                      </p>
                    )}
                    {!provider.available && <p className="small muted">Not installed on this instance.</p>}
                  </div>
                  <div className="actions">
                    {provider.available && provider.state !== 'connected' && (
                      <Button
                        variant={provider.level === 'optional' ? 'secondary' : 'primary'}
                        onPress={() => navigate(`/console/integrations?provider=${encodeURIComponent(provider.provider)}`)}
                      >
                        {provider.state === 'needs_attention' ? 'Fix' : 'Connect'} <span className="visually-hidden">{provider.name}</span>
                      </Button>
                    )}
                    {canManage && provider.level !== 'required' && provider.state === 'pending' && (
                      <Button onPress={() => skip([provider.provider])}>
                        Skip for Now <span className="visually-hidden">{provider.name}</span>
                      </Button>
                    )}
                    {canManage && provider.state === 'skipped' && (
                      <Button variant="link" onPress={() => undo(provider.provider)}>
                        Undo skip <span className="visually-hidden">{provider.name}</span>
                      </Button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </>
  );
}
