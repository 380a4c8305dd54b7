import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs an async load when the dependencies change; a newer load wins over a slower older one. With
 * <code>keepStale</code>, a failed reload keeps the last data beside its error (a live view shows what it last knew,
 * marked as stale, rather than going blank when the gateway cannot be reached).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], keepStale = false): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => mine === generation.current && setState((s) => ({ data: keepStale ? s.data : undefined, error, loading: false })),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** The page heading of a view; it takes focus when the view opens so screen readers announce the new page. */
export function ViewTitle({ children, subtitle }: { children: ComponentChildren; subtitle?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div class="view-title">
      <h1 tabIndex={-1} ref={ref}>
        {children}
      </h1>
      {subtitle && <p class="subtitle">{subtitle}</p>}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label}
    </p>
  );
}

export function ErrorBox({ error, children }: { error?: unknown; children?: ComponentChildren }) {
  return (
    <div class="box error" role="alert">
      {children ?? errorMessage(error)}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ComponentChildren; tone?: 'info' | 'success' | 'warning' }) {
  return (
    <div class={`box ${tone}`} role={tone === 'warning' ? 'note' : 'status'}>
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Shows a load's error or a spinner; renders children only with data. */
export function Load<T>({ state, children, label }: { state: Loaded<T>; children: (data: T) => ComponentChildren; label?: string }) {
  if (state.error !== undefined) {
    return <ErrorBox error={state.error} />;
  }
  if (state.data === undefined) {
    return <Spinner label={label} />;
  }
  return <>{children(state.data)}</>;
}

let nextId = 0;
export function useId(prefix: string): string {
  const ref = useRef<string>('');
  if (!ref.current) {
    ref.current = `${prefix}-${++nextId}`;
  }
  return ref.current;
}

interface RadioChoiceProps<K extends string> {
  legend: string;
  /** Prefix of the group's generated name. */
  name: string;
  options: { key: K; label: ComponentChildren; hint?: string }[];
  /** null: nothing checked (with `required`, the browser asks for a choice before submitting). */
  value: K | null;
  onChange: (key: K) => void;
  required?: boolean;
  class?: string;
}

/** One choice as a group of radio buttons in a fieldset, each option's hint after its label. */
export function RadioChoice<K extends string>(props: RadioChoiceProps<K>) {
  const name = useId(props.name);
  return (
    <fieldset class={props.class === undefined ? 'choice' : `choice ${props.class}`}>
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <label key={o.key}>
          <input type="radio" name={name} value={o.key} required={props.required} checked={props.value === o.key} onChange={() => props.onChange(o.key)} /> {o.label}
          {o.hint !== undefined && (
            <>
              {' '}
              <span class="hint">({o.hint})</span>
            </>
          )}
        </label>
      ))}
    </fieldset>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: ComponentChildren;
  type?: 'text' | 'password' | 'email' | 'number' | 'date';
  required?: boolean;
  placeholder?: string;
  autoComplete?: string;
  pattern?: string;
  inputMode?: 'decimal' | 'numeric' | 'text';
  multiline?: boolean;
  name?: string;
}

/** A labelled input whose hint and error are tied to it (aria-describedby), with aria-invalid on error. */
export function Field(props: FieldProps) {
  const id = useId('field');
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': described,
  };
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {props.required && <span aria-hidden="true"> *</span>}
      </label>
      {props.multiline ? (
        <textarea {...common} rows={6} onInput={(e) => props.onInput(e.currentTarget.value)} />
      ) : (
        <input
          {...common}
          type={(props.type ?? 'text') as 'text'}
          autoComplete={props.autoComplete ?? 'off'}
          pattern={props.pattern}
          inputMode={props.inputMode}
          spellcheck={false}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      )}
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

interface SelectProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  children: ComponentChildren;
  error?: string | undefined;
  hint?: ComponentChildren;
  required?: boolean;
}

export function Select(props: SelectProps) {
  const id = useId('select');
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.children}
      </select>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A button that asks for a second, explicit confirmation in place (no modal), e.g. revoke or delete. */
/** A destructive action asked twice; `consequence` says, while asking, what it does to the people it affects. */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
  consequence,
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  disabled?: boolean;
  consequence?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  // A refused action (e.g. revoking the last operator token: 409) is said next to the button that asked for it.
  const [failure, setFailure] = useState<unknown>(undefined);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) {
      confirmRef.current?.focus();
    }
  }, [asking]);
  const error = failure !== undefined && <ErrorBox error={failure} />;
  if (!asking) {
    return (
      <>
        <button type="button" class="secondary" disabled={disabled} onClick={() => setAsking(true)}>
          {label}
        </button>
        {error}
      </>
    );
  }
  return (
    <span class="confirm">
      {consequence !== undefined && (
        <span class="consequence" role="note">
          {consequence}
        </span>
      )}
      <button
        type="button"
        class="danger"
        ref={confirmRef}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setFailure(undefined);
          try {
            await onConfirm();
          } catch (err) {
            setFailure(err);
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function formatTime(value: string | null | undefined): string {
  if (!value) {
    return '—';
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
}

export function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 12)}…` : hash;
}

export function formatNumber(value: number): string {
  return value.toLocaleString('en-US');
}

/** The current month as YYYY-MM (UTC), the default billing period. */
export function currentPeriod(): string {
  return new Date().toISOString().slice(0, 7);
}

/** Saves text as a file through a temporary object URL (no server round trip, nothing kept). */
export function download(fileName: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Failures no view caught — an action whose promise was rejected without a handler — shown on the page with the API's
 * message rather than reaching only the browser console. Mounted once per view, so a failure is not carried to the next.
 */
export function UncaughtFailures() {
  const [failures, setFailures] = useState<string[]>([]);
  useEffect(() => {
    const onRejection = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      setFailures((shown) => [...shown.slice(-2), errorMessage(event.reason)]);
    };
    window.addEventListener('unhandledrejection', onRejection);
    return () => window.removeEventListener('unhandledrejection', onRejection);
  }, []);
  if (failures.length === 0) {
    return null;
  }
  return (
    <div class="box error uncaught" role="alert">
      <ul>
        {failures.map((message, i) => (
          <li key={i}>{message}</li>
        ))}
      </ul>
      <button type="button" class="secondary" onClick={() => setFailures([])}>
        Dismiss
      </button>
    </div>
  );
}

/**
 * Who did something: the person's name, with the actor id (token:tok_…) on hover and for assistive technology; the id
 * itself when no token names it (system:… actors, or a token since deleted).
 */
export function Actor({ id, name }: { id: string; name?: string | null }) {
  return name ? (
    <span class="actor" title={id} data-actor={id}>
      {name}
      <span class="visually-hidden"> ({id})</span>
    </span>
  ) : (
    <code data-actor={id}>{id}</code>
  );
}
