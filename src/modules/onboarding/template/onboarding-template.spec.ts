import { fillNoticeInput, loadOnboardingTemplate, OnboardingTemplateError, parseOnboardingTemplate } from './onboarding-template.js';

describe('onboarding template', () => {
  it('reads the shipped template: the seed’s levels, its flags and every step provider’s flag', () => {
    const template = loadOnboardingTemplate('config/onboarding.yaml');
    const levels = Object.fromEntries(template.steps.flatMap((step) => step.providers.map((provider) => [provider.id, provider.level])));
    expect(levels).toMatchObject({ shopify: 'required', stripe_connect: 'recommended', resend: 'recommended', klaviyo: 'optional', slack: 'optional' });
    expect(Object.values(levels).filter((level) => level === 'required')).toEqual(['required']);
    const flags = Object.fromEntries(template.flags.map((flag) => [flag.key, flag]));
    expect(flags['integrations.meta_ads']).toEqual({ key: 'integrations.meta_ads', default: false, requiresConnection: true, provider: 'meta_ads' });
    expect(flags['integrations.ga4']).toMatchObject({ default: true, requiresConnection: false, provider: 'ga4' });
    expect(flags['integrations.reviews_email']).toMatchObject({ default: true, requiresConnection: false, provider: 'reviews_email' });
    // Not declared: the flagDefaults.
    expect(flags['integrations.shopify']).toEqual({ key: 'integrations.shopify', default: true, requiresConnection: true, provider: 'shopify' });
    expect(template.notices.tokenExpiryWarningMs).toBe(7 * 86_400_000);
    expect(template.notices.syncFailures).toBe(3);
    expect([...template.notices.email.keys()]).toEqual(['sendgrid', 'resend', 'gmail', 'microsoft_mail']);
  });

  it('names the path of a bad value', () => {
    const bad = (document: unknown) => () => parseOnboardingTemplate(document, 'onboarding.yaml');
    const step = (providers: unknown) => ({ steps: [{ key: 'shop', title: 'Shop', providers }] });
    expect(bad(step({ shopify: 'mandatory' }))).toThrow(
      new OnboardingTemplateError('onboarding.yaml: steps[0].providers.shopify must be required, recommended or optional'),
    );
    expect(bad(step({ shopify: { level: 'required', nmae: 'Shopify' } }))).toThrow(/steps\[0\]\.providers\.shopify\.nmae must be left out/);
    expect(bad(step({ 'Shop-ify': 'required' }))).toThrow(/steps\[0\]\.providers\.Shop-ify must be named by a provider id/);
    expect(bad({ steps: [...step({ a: 'optional' }).steps, { key: 'more', title: 'More', providers: { a: 'optional' } }] })).toThrow(
      /steps\[1\]\.providers\.a must be in one step only \(it is in step "shop" too\)/,
    );
    expect(bad({ steps: [{ key: 'x', title: '', providers: { a: 'optional' } }] })).toThrow(/steps\[0\]\.title must be a non-empty string/);
    expect(bad({ flags: { 'integrations.x': { default: 'yes' } } })).toThrow(/flags\.integrations\.x\.default must be true or false/);
    expect(bad({ flags: { beta_reports: { default: true, requiresConnection: true } } })).toThrow(/flags\.beta_reports must be named with dot-separated/);
    expect(bad({ flags: { 'reports.beta': { default: true, requiresConnection: true } } })).toThrow(
      /flags\.reports\.beta\.provider must be set when requiresConnection/,
    );
    expect(bad({ notices: { tokenExpiryWarning: 'a week' } })).toThrow(/notices\.tokenExpiryWarning must be a duration/);
    expect(bad({ notices: { retrySchedule: ['1m', 'soon'] } })).toThrow(/notices\.retrySchedule\[1\] must be a duration/);
    expect(bad({ notices: { email: { sendgrid: { action: 'sendEmail', input: { to: '{recipient}' } } } } })).toThrow(
      /notices\.email\.sendgrid\.input\.to must be using only the placeholders .* \(found \{recipient\}\)/,
    );
    expect(bad({ stepz: [] })).toThrow(/onboarding\.yaml: stepz must be left out/);
  });

  it('accepts providers no plugin provides and an empty template', () => {
    const template = parseOnboardingTemplate({ steps: [{ key: 'later', title: 'Later', providers: { not_installed_anywhere: 'required' } }] });
    expect(template.steps[0].providers).toEqual([{ id: 'not_installed_anywhere', level: 'required' }]);
    expect(parseOnboardingTemplate(null)).toMatchObject({ steps: [], flags: [], notices: { syncFailures: 3 } });
  });

  it('fills a sender’s input: a lone placeholder keeps its value or leaves the property out', () => {
    const input = { to: '{to}', fromEmail: '{from}', subject: '[Plugboard] {subject}', text: '{text}', tags: ['notice', '{from}'] };
    expect(fillNoticeInput(input, { to: 'ana@example.com', subject: 'Re-connect X', text: 'Body' })).toEqual({
      to: 'ana@example.com',
      subject: '[Plugboard] Re-connect X',
      text: 'Body',
      tags: ['notice'],
    });
  });
});
