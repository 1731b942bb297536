import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  type ButtonProps as AriaButtonProps,
  Checkbox as AriaCheckbox,
  Dialog,
  Heading,
  Input,
  Label,
  Modal as AriaModal,
  ModalOverlay,
  Switch as AriaSwitch,
  Text,
  TextField as AriaTextField,
} from 'react-aria-components';
import { useAction } from './action.ts';

type Variant = 'primary' | 'secondary' | 'danger' | 'link';

export function Button({ variant = 'secondary', className, ...props }: AriaButtonProps & { variant?: Variant }) {
  return <AriaButton {...props} className={`btn btn-${variant}${className ? ` ${className}` : ''}`} />;
}

export function Modal({
  title,
  isOpen,
  onClose,
  children,
  wide,
}: {
  title: string;
  isOpen: boolean;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={(open) => !open && onClose()} isDismissable>
      <AriaModal className={`modal${wide ? ' modal-wide' : ''}`}>
        <Dialog className="dialog">
          <div className="dialog-header">
            <Heading slot="title">{title}</Heading>
            <Button variant="link" aria-label="Close" onPress={onClose}>
              ✕
            </Button>
          </div>
          {children}
        </Dialog>
      </AriaModal>
    </ModalOverlay>
  );
}

/** A confirmation step before anything destructive. */
export function Confirm({
  title,
  message,
  confirmLabel,
  isOpen,
  onCancel,
  onConfirm,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  isOpen: boolean;
  onCancel: () => void;
  onConfirm: () => Promise<unknown> | void;
}) {
  const { run, busy, error } = useAction();
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={(open) => !open && onCancel()} isDismissable>
      <AriaModal className="modal modal-narrow">
        <Dialog className="dialog" role="alertdialog">
          <Heading slot="title">{title}</Heading>
          <div className="confirm-message">{message}</div>
          {error && <ErrorText>{error}</ErrorText>}
          <div className="actions">
            <Button onPress={onCancel}>Cancel</Button>
            <Button variant="danger" isDisabled={busy} onPress={() => run(async () => void (await onConfirm()))}>
              {confirmLabel}
            </Button>
          </div>
        </Dialog>
      </AriaModal>
    </ModalOverlay>
  );
}

/** A dialog around one form: Cancel, and a submit button that waits for the answer and shows a refusal above it. */
export function FormDialog({
  title,
  submitLabel,
  canSubmit,
  onClose,
  onSubmit,
  wide,
  children,
}: {
  title: string;
  submitLabel: string;
  canSubmit: boolean;
  onClose: () => void;
  onSubmit: () => Promise<unknown>;
  wide?: boolean;
  children: ReactNode;
}) {
  const { run, busy, error } = useAction();
  return (
    <Modal title={title} isOpen onClose={onClose} wide={wide}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => void (await onSubmit()));
        }}
      >
        {children}
        {error && <ErrorText>{error}</ErrorText>}
        <div className="actions">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={busy || !canSubmit}>
            {submitLabel}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

export function TextField({
  label,
  value,
  onChange,
  type = 'text',
  description,
  isRequired,
  placeholder,
  name,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'url' | 'email' | 'search' | 'datetime-local';
  description?: string;
  isRequired?: boolean;
  placeholder?: string;
  name?: string;
}) {
  return (
    <AriaTextField className="field" value={value} onChange={onChange} type={type} isRequired={isRequired} name={name}>
      <Label>{label}</Label>
      <Input placeholder={placeholder} />
      {description && <Text slot="description">{description}</Text>}
    </AriaTextField>
  );
}

interface ToggleProps {
  isSelected: boolean;
  onChange: (value: boolean) => void;
  children: ReactNode;
  isDisabled?: boolean;
}

export function Switch({ children, ...props }: ToggleProps) {
  return (
    <AriaSwitch className="switch" {...props}>
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      {children}
    </AriaSwitch>
  );
}

export function Checkbox({ children, ...props }: ToggleProps) {
  return (
    <AriaCheckbox className="checkbox" {...props}>
      <span className="checkbox-box" aria-hidden="true">
        {props.isSelected ? '✓' : ''}
      </span>
      {children}
    </AriaCheckbox>
  );
}

export function ErrorText({ children }: { children: ReactNode }) {
  return (
    <p className="error" role="alert">
      {children}
    </p>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  return (
    <div className={`banner banner-${tone}`} role="status">
      {children}
    </div>
  );
}

/** What the last action said: its message, then its problem. */
export function Outcome({ message, error, tone = 'info' }: { message: string; error: string; tone?: 'info' | 'success' }) {
  return (
    <>
      {message && <Notice tone={tone}>{message}</Notice>}
      {error && <ErrorText>{error}</ErrorText>}
    </>
  );
}

const STATUS_LABELS: Record<string, string> = {
  connected: 'Connected',
  expired: 'Expired',
  error: 'Error',
  disconnected: 'Disconnected',
  suspended: 'Suspended by plan',
  not_connected: 'Not connected',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="actions">{children}</div>}
    </div>
  );
}
