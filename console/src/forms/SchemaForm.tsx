import Form from '@rjsf/core';
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import { useMemo, useState } from 'react';
import { interpretingValidator } from './validator.ts';

export interface SchemaSection {
  key: string;
  title: string;
  schema: Record<string, unknown> | null | undefined;
}

/** Secret fields are entered like passwords, whatever the provider calls them. */
function uiFor(schema: Record<string, unknown>): UiSchema {
  const ui: UiSchema = {};
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, property] of Object.entries(properties)) {
    if (property['x-secret'] || property.secret === true || property.format === 'password' || property.writeOnly)
      ui[name] = { 'ui:widget': 'password', 'ui:autocomplete': 'off' };
    else if (property.type === 'object') ui[name] = uiFor(property);
  }
  return ui;
}

function hasFields(schema: Record<string, unknown> | null | undefined): schema is Record<string, unknown> {
  if (!schema) return false;
  return Object.keys((schema.properties ?? {}) as object).length > 0 || schema.type !== 'object';
}

/**
 * One form for a provider's schemas (connection inputs, credentials, settings), each a section of it,
 * rendered from the JSON Schemas the catalogue publishes: no provider has screen code of its own.
 */
export default function SchemaForm({
  sections,
  initial,
  submitLabel,
  onSubmit,
  busy,
  idPrefix = 'pf',
}: {
  sections: SchemaSection[];
  initial?: Record<string, unknown>;
  submitLabel: string;
  onSubmit: (values: Record<string, Record<string, unknown>>) => void | Promise<void>;
  busy?: boolean;
  idPrefix?: string;
}) {
  const present = sections.filter((section) => hasFields(section.schema));
  const schema = useMemo<RJSFSchema>(() => {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const section of present) {
      const { description: _description, ...rest } = section.schema as Record<string, unknown>;
      properties[section.key] = { ...rest, title: section.title };
      if (((section.schema as { required?: string[] }).required ?? []).length) required.push(section.key);
    }
    return { type: 'object', properties, required } as RJSFSchema;
  }, [present.map((s) => s.key).join(','), ...present.map((s) => s.schema)]);
  const uiSchema = useMemo<UiSchema>(() => {
    const ui: UiSchema = { 'ui:submitButtonOptions': { submitText: submitLabel, props: { disabled: busy, className: 'btn btn-primary' } } };
    for (const section of present) ui[section.key] = uiFor(section.schema as Record<string, unknown>);
    return ui;
  }, [schema, submitLabel, busy]);
  const [formData, setFormData] = useState<Record<string, unknown>>(() => initial ?? {});

  return (
    <Form
      className="schema-form"
      schema={schema}
      uiSchema={uiSchema}
      validator={interpretingValidator}
      formData={formData}
      idPrefix={idPrefix}
      noHtml5Validate
      showErrorList={false}
      onChange={(event) => setFormData(event.formData as Record<string, unknown>)}
      onSubmit={(event) => {
        const values = (event.formData ?? {}) as Record<string, Record<string, unknown>>;
        void onSubmit(values);
      }}
    />
  );
}
