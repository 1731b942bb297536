import type { OpenAPIObject } from '@nestjs/swagger';

/** The tags of this module's operations, declared at the top of the document like every other tag. */
const TAGS = [
  { name: 'Onboarding', description: 'The integration steps an account goes through, what blocks launch, skips and requirement levels.' },
  { name: 'Feature flags', description: 'Integration feature flags: values per account and mode, overrides, batch evaluation for the host platform.' },
  { name: 'Notices', description: 'Connections that need attention: open and closed notices, where they are sent, and who receives them.' },
];

/** The problem code skipping or completing onboarding answers when a required provider stands in the way. */
export const REQUIRED_INTEGRATION = 'required_integration';

/** Declares the module's tags and its problem code in /openapi.json. */
export function contributeOnboardingOpenApi(document: OpenAPIObject): void {
  document.tags ??= [];
  for (const tag of TAGS) if (!document.tags.some((declared) => declared.name === tag.name)) document.tags.push(tag);
  const schemas = document.components?.schemas as Record<string, ProblemSchema> | undefined;
  const problem = schemas?.Problem;
  const code = problem?.properties?.code;
  // A copy: the Problem schema and its list of codes are shared constants of core.
  if (schemas && problem && code?.enum && !code.enum.includes(REQUIRED_INTEGRATION)) {
    schemas.Problem = { ...problem, properties: { ...problem.properties, code: { ...code, enum: [...code.enum, REQUIRED_INTEGRATION] } } };
  }
}

interface ProblemSchema {
  properties?: { code?: { enum?: readonly string[] } } & Record<string, unknown>;
}
