import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, unwrap, type Schemas } from '../api.ts';
import { Button, ErrorText, FormDialog, Loading, TextField } from '../components/ui.tsx';

type Branding = Schemas['ConnectBrandingDto'];

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const LOGO_MAX_BYTES = 64 * 1024;
// The stylesheet's own colours, shown while the account keeps the defaults.
const DEFAULTS = { primaryColor: '#0b5cad', accentColor: '#1f6feb' } as const;

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read'));
    reader.readAsDataURL(file);
  });
}

function ColorField({ label, value, fallback, onChange }: { label: string; value: string; fallback: string; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="color-row">
        <input id={id} type="color" className="color-input" value={value || fallback} onChange={(event) => onChange(event.target.value)} />
        <span className="muted small">{value || 'Default'}</span>
        {value && (
          <Button variant="link" onPress={() => onChange('')}>
            Use the default
          </Button>
        )}
      </div>
    </div>
  );
}

/** The account's look of the hosted connect page: name, logo and colours, for whoever may open connect sessions. */
export function BrandingDialog({ onClose }: { onClose: () => void }) {
  const branding = useQuery({ queryKey: ['branding'], queryFn: () => unwrap(api.GET('/v1/branding')) });
  return <>{branding.data ? <BrandingForm initial={branding.data} onClose={onClose} /> : <Loading />}</>;
}

function BrandingForm({ initial, onClose }: { initial: Branding; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(initial.name ?? '');
  const [logo, setLogo] = useState(initial.logo ?? '');
  const [primaryColor, setPrimaryColor] = useState(initial.primaryColor ?? '');
  const [accentColor, setAccentColor] = useState(initial.accentColor ?? '');
  const [fileError, setFileError] = useState('');
  const logoId = useId();

  const pickLogo = async (file: File | undefined) => {
    setFileError('');
    if (!file) return;
    if (!LOGO_TYPES.includes(file.type)) return setFileError('The logo must be a PNG, JPEG or WebP image.');
    if (file.size > LOGO_MAX_BYTES) return setFileError(`The logo must be at most 64 KB (this one is ${Math.ceil(file.size / 1024)} KB).`);
    setLogo(await readAsDataUrl(file));
  };

  return (
    <FormDialog
      title="Connect page branding"
      submitLabel="Save branding"
      canSubmit={!fileError}
      onClose={onClose}
      onSubmit={async () => {
        const body: Branding = {
          ...(name.trim() ? { name: name.trim() } : {}),
          ...(logo ? { logo } : {}),
          ...(primaryColor ? { primaryColor } : {}),
          ...(accentColor ? { accentColor } : {}),
        };
        queryClient.setQueryData(['branding'], await unwrap(api.PUT('/v1/branding', { body })));
        onClose();
      }}
    >
      <p className="muted">What your end users see on the hosted connect page.</p>
      <TextField label="Name" value={name} onChange={setName} description="Shown at the top of the page (up to 80 characters)" />
      <div className="field">
        <label htmlFor={logoId}>Logo</label>
        {logo && <img className="brand-logo-preview" src={logo} alt="Current logo" />}
        <input id={logoId} type="file" accept={LOGO_TYPES.join(',')} onChange={(event) => void pickLogo(event.target.files?.[0])} />
        <span className="muted small">PNG, JPEG or WebP, at most 64 KB.</span>
        {logo && (
          <Button variant="link" onPress={() => setLogo('')}>
            Remove the logo
          </Button>
        )}
        {fileError && <ErrorText>{fileError}</ErrorText>}
      </div>
      <ColorField label="Primary colour (buttons and links)" value={primaryColor} fallback={DEFAULTS.primaryColor} onChange={setPrimaryColor} />
      <ColorField label="Accent colour (header band and focus)" value={accentColor} fallback={DEFAULTS.accentColor} onChange={setAccentColor} />
    </FormDialog>
  );
}
