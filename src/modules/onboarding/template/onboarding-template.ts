import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EnvValueError, parseDuration } from '../../../core/config/env-parsers.js';

export const REQUIREMENT_LEVELS = ['required', 'recommended', 'optional'] as const;
export type RequirementLevel = (typeof REQUIREMENT_LEVELS)[number];

/** Why a connection needs attention. */
export const NOTICE_CAUSES = ['expired', 'error', 'token_expiring', 'sync_failing'] as const;
export type NoticeCause = (typeof NOTICE_CAUSES)[number];

export interface TemplateProvider {
  id: string;
  /** Shown when no loaded plugin provides the id (the provider is then unavailable). */
  name?: string;
  level: RequirementLevel;
}

export interface TemplateStep {
  key: string;
  title: string;
  description?: string;
  providers: TemplateProvider[];
}

export interface FlagDefinition {
  key: string;
  description?: string;
  default: boolean;
  /** Forced off unless the account's connection of `provider` is connected. */
  requiresConnection: boolean;
  /** The provider the flag is about: `<x>` for `integrations.<x>`, or as declared. */
  provider?: string;
}

/** How a notice is emailed through a provider: one of its actions, with an input template. */
export interface NoticeSender {
  provider: string;
  action: string;
  /** `{to}`, `{from}`, `{subject}`, `{text}` are filled in; see fillNoticeInput. */
  input: Record<string, unknown>;
}

export interface NoticeRules {
  /** A token that nothing can refresh is announced this long before it expires. */
  tokenExpiryWarningMs: number;
  /** Failed syncs in a row that open a notice. */
  syncFailures: number;
  /** Delays between attempts at sending a notice after the first; then the send is `failed`. */
  retrySchedule: number[];
  /** The providers an account may choose to email notices with. */
  email: Map<string, NoticeSender>;
}

export interface OnboardingTemplate {
  steps: TemplateStep[];
  /** Declared flags, then an `integrations.<provider>` flag for every provider of the steps that has none. */
  flags: FlagDefinition[];
  notices: NoticeRules;
}

export class OnboardingTemplateError extends Error {}

/** Placeholders a sender's input may use. */
export const NOTICE_PLACEHOLDERS = ['to', 'from', 'subject', 'text'] as const;

const ID = /^[a-z0-9_]+$/;
const STEP_KEY = /^[a-z][a-z0-9_-]{0,63}$/;
const FLAG_KEY = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const ACTION = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const DEFAULT_RETRY_SCHEDULE = ['1m', '5m', '30m', '2h', '6h', '12h'];

/** Loads and validates the onboarding template; a bad file stops start-up with the path of the bad value. */
export function loadOnboardingTemplate(file: string): OnboardingTemplate {
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OnboardingTemplateError(`${file}: ${(error as Error).message}`);
  }
  return parseOnboardingTemplate(document, file);
}

export function parseOnboardingTemplate(document: unknown, source = 'onboarding'): OnboardingTemplate {
  const fail = (path: string, expected: string): never => {
    throw new OnboardingTemplateError(`${source}: ${path} must be ${expected}`);
  };
  const root = mapping(document ?? {}, 'the document', fail);
  onlyKeys(root, 'the document', ['steps', 'flagDefaults', 'flags', 'notices'], fail);

  const steps: TemplateStep[] = [];
  const seen = new Map<string, string>();
  const rawSteps = root.steps ?? [];
  if (!Array.isArray(rawSteps)) fail('steps', 'a list of steps');
  (rawSteps as unknown[]).forEach((raw, index) => {
    const path = `steps[${index}]`;
    const step = mapping(raw, path, fail);
    onlyKeys(step, path, ['key', 'title', 'description', 'providers'], fail);
    if (typeof step.key !== 'string' || !STEP_KEY.test(step.key)) fail(`${path}.key`, 'lower-case letters, digits, _ and - (up to 64)');
    const key = step.key as string;
    if (steps.some((other) => other.key === key)) fail(`${path}.key`, `unique ("${key}" is used twice)`);
    if (typeof step.title !== 'string' || step.title.length === 0) fail(`${path}.title`, 'a non-empty string');
    if (step.description !== undefined && typeof step.description !== 'string') fail(`${path}.description`, 'a string');
    const providers = mapping(step.providers, `${path}.providers`, fail, 'a mapping of provider id to level');
    if (Object.keys(providers).length === 0) fail(`${path}.providers`, 'a non-empty mapping of provider id to level');
    const parsed: TemplateProvider[] = [];
    for (const [id, value] of Object.entries(providers)) {
      const at = `${path}.providers.${id}`;
      if (!ID.test(id)) fail(at, 'named by a provider id (lower-case letters, digits and _)');
      if (seen.has(id)) fail(at, `in one step only (it is in step "${seen.get(id)}" too)`);
      seen.set(id, key);
      parsed.push(templateProvider(id, value, at, fail));
    }
    steps.push({ key, title: step.title as string, ...(step.description ? { description: step.description as string } : {}), providers: parsed });
  });

  const defaults = flagShape(root.flagDefaults ?? { default: true, requiresConnection: true }, 'flagDefaults', fail, false);
  const flags: FlagDefinition[] = [];
  for (const [key, raw] of Object.entries(mapping(root.flags ?? {}, 'flags', fail, 'a mapping of flag key to its definition'))) {
    const path = `flags.${key}`;
    if (!FLAG_KEY.test(key) || key.length > 100) fail(path, 'named with dot-separated lower-case words, e.g. integrations.reviews_email');
    const flag = flagShape(raw, path, fail, true);
    const provider = flag.provider ?? (key.startsWith('integrations.') && key.split('.').length === 2 ? key.slice('integrations.'.length) : undefined);
    if (flag.requiresConnection && !provider) fail(`${path}.provider`, 'set when requiresConnection is true (the provider whose connection it needs)');
    flags.push({ key, ...flag, ...(provider ? { provider } : {}) });
  }
  for (const step of steps) {
    for (const { id } of step.providers) {
      const key = `integrations.${id}`;
      if (!flags.some((flag) => flag.key === key))
        flags.push({ key, default: defaults.default, requiresConnection: defaults.requiresConnection, provider: id });
    }
  }

  return { steps, flags, notices: noticeRules(root.notices ?? {}, fail) };
}

type Fail = (path: string, expected: string) => never;

function templateProvider(id: string, value: unknown, path: string, fail: Fail): TemplateProvider {
  if (typeof value === 'string') return { id, level: level(value, path, fail) };
  const entry = mapping(value, path, fail, `one of ${REQUIREMENT_LEVELS.join(', ')}, or a mapping with level and name`);
  onlyKeys(entry, path, ['level', 'name'], fail);
  if (entry.name !== undefined && (typeof entry.name !== 'string' || entry.name.length === 0)) fail(`${path}.name`, 'a non-empty string');
  return { id, level: level(entry.level, `${path}.level`, fail), ...(entry.name ? { name: entry.name } : {}) };
}

function level(value: unknown, path: string, fail: Fail): RequirementLevel {
  if (typeof value !== 'string' || !(REQUIREMENT_LEVELS as readonly string[]).includes(value))
    fail(path, REQUIREMENT_LEVELS.join(', ').replace(/, (?=[^,]*$)/, ' or '));
  return value as RequirementLevel;
}

function flagShape(raw: unknown, path: string, fail: Fail, declared: boolean): Omit<FlagDefinition, 'key'> {
  const flag = mapping(raw, path, fail, 'a mapping with default and requiresConnection');
  onlyKeys(flag, path, declared ? ['default', 'requiresConnection', 'provider', 'description'] : ['default', 'requiresConnection'], fail);
  if (typeof flag.default !== 'boolean') fail(`${path}.default`, 'true or false');
  if (flag.requiresConnection !== undefined && typeof flag.requiresConnection !== 'boolean') fail(`${path}.requiresConnection`, 'true or false');
  if (flag.provider !== undefined && (typeof flag.provider !== 'string' || !ID.test(flag.provider))) fail(`${path}.provider`, 'a provider id');
  if (flag.description !== undefined && typeof flag.description !== 'string') fail(`${path}.description`, 'a string');
  return {
    default: flag.default,
    requiresConnection: flag.requiresConnection ?? false,
    ...(flag.provider ? { provider: flag.provider } : {}),
    ...(flag.description ? { description: flag.description } : {}),
  };
}

function noticeRules(raw: unknown, fail: Fail): NoticeRules {
  const notices = mapping(raw, 'notices', fail);
  onlyKeys(notices, 'notices', ['tokenExpiryWarning', 'syncFailures', 'retrySchedule', 'email'], fail);
  const tokenExpiryWarningMs = duration(notices.tokenExpiryWarning ?? '7d', 'notices.tokenExpiryWarning', fail);
  const syncFailures = notices.syncFailures ?? 3;
  if (typeof syncFailures !== 'number' || !Number.isInteger(syncFailures) || syncFailures < 1 || syncFailures > 100) {
    fail('notices.syncFailures', 'a whole number from 1 to 100');
  }
  const schedule = notices.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  if (!Array.isArray(schedule) || schedule.length > 20) fail('notices.retrySchedule', 'a list of up to 20 durations');
  const retrySchedule = (schedule as unknown[]).map((item, index) => duration(item, `notices.retrySchedule[${index}]`, fail));
  return {
    tokenExpiryWarningMs,
    syncFailures: syncFailures,
    retrySchedule,
    email: senders(notices.email, 'notices.email', fail),
  };
}

function senders(raw: unknown, path: string, fail: Fail): Map<string, NoticeSender> {
  const result = new Map<string, NoticeSender>();
  for (const [provider, value] of Object.entries(mapping(raw ?? {}, path, fail, 'a mapping of provider id to sender'))) {
    const at = `${path}.${provider}`;
    if (!ID.test(provider)) fail(at, 'named by a provider id');
    const sender = mapping(value, at, fail, 'a mapping with action and input');
    onlyKeys(sender, at, ['action', 'input'], fail);
    if (typeof sender.action !== 'string' || !ACTION.test(sender.action)) fail(`${at}.action`, 'the name of one of the provider’s actions');
    const input = mapping(sender.input, `${at}.input`, fail, 'a mapping (the action’s input, with {placeholders})');
    checkPlaceholders(input, `${at}.input`, fail);
    result.set(provider, { provider, action: sender.action, input });
  }
  return result;
}

function checkPlaceholders(node: unknown, path: string, fail: Fail): void {
  if (typeof node === 'string') {
    for (const [, name] of node.matchAll(/\{([^}]*)\}/g)) {
      if (!(NOTICE_PLACEHOLDERS as readonly string[]).includes(name))
        fail(path, `using only the placeholders ${NOTICE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')} (found {${name}})`);
    }
  } else if (Array.isArray(node)) {
    node.forEach((item, index) => checkPlaceholders(item, `${path}[${index}]`, fail));
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) checkPlaceholders(value, `${path}.${key}`, fail);
  }
}

/**
 * A sender's input with its placeholders filled: a string that is a lone placeholder takes the value
 * as it is, others are interpolated; a property whose lone placeholder has no value is left out (an
 * email without a configured sender address keeps the provider's own).
 */
export function fillNoticeInput(template: unknown, values: Partial<Record<(typeof NOTICE_PLACEHOLDERS)[number], string>>): unknown {
  if (typeof template === 'string') {
    const lone = /^\{([a-z]+)\}$/.exec(template);
    if (lone) return values[lone[1] as keyof typeof values];
    return template.replace(/\{([a-z]+)\}/g, (_, name: string) => values[name as keyof typeof values] ?? '');
  }
  if (Array.isArray(template)) return template.map((item) => fillNoticeInput(item, values)).filter((item) => item !== undefined);
  if (template && typeof template === 'object') {
    const filled: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const result = fillNoticeInput(value, values);
      if (result !== undefined) filled[key] = result;
    }
    return filled;
  }
  return template;
}

function duration(value: unknown, path: string, fail: Fail): number {
  try {
    if (typeof value !== 'string') throw new EnvValueError('');
    return parseDuration(value);
  } catch (error) {
    if (!(error instanceof EnvValueError)) throw error;
    return fail(path, 'a duration such as 30s, 5m, 2h or 7d');
  }
}

function mapping(value: unknown, path: string, fail: Fail, expected = 'a mapping'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, expected);
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, path: string, allowed: string[], fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${path === 'the document' ? '' : `${path}.`}${key}`, `left out: it is not one of ${allowed.join(', ')}`);
  }
}
