/**
 * The host platform's side of the hosted connect page, served as a classic script at /connect/embed.js:
 * `Plugboard.connect(url, { mode })` opens a connect session's page in a popup or an iframe and settles
 * with its outcome. Hosts load it from Plugboard, so it depends on nothing and touches only what it adds.
 */

export interface ConnectOptions {
  /** `popup` (the default) opens a window; `iframe` frames the page in `container`. */
  mode?: 'popup' | 'iframe';
  /** Where the iframe goes: an element or a selector (default: the end of the body). */
  container?: Element | string;
}

export interface ConnectResult {
  status: 'connected';
  provider: string;
  connectionId: string;
}

/** Why no connection was made: `popup_blocked`, `closed` (the end user closed the window) or the provider's error code. */
export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly provider?: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

const MESSAGE_TYPE = 'plugboard:connect';
const POLL_MS = 300;

type Outcome = { status?: unknown; provider?: unknown; connectionId?: unknown; error?: unknown };

export function connect(url: string, options: ConnectOptions = {}): Promise<ConnectResult> {
  const page = new URL(url, location.href);
  return new Promise<ConnectResult>((resolve, reject) => {
    let popup: Window | null = null;
    let frame: HTMLIFrameElement | null = null;
    if (options.mode === 'iframe') {
      const container = typeof options.container === 'string' ? document.querySelector(options.container) : (options.container ?? document.body);
      if (!container) return reject(new TypeError(`Plugboard.connect: no element matches ${String(options.container)}`));
      frame = document.createElement('iframe');
      frame.src = page.href;
      frame.title = 'Connect an integration';
      frame.style.border = '0';
      frame.style.width = '100%';
      frame.style.minHeight = '640px';
      container.appendChild(frame);
    } else {
      popup = window.open(page.href, 'plugboard-connect', 'popup,width=520,height=720');
      if (!popup) return reject(new ConnectError('popup_blocked', 'The browser blocked the connect window; call Plugboard.connect from a click'));
    }
    const target = () => popup ?? frame?.contentWindow ?? null;

    const settle = (outcome: Outcome) => {
      window.removeEventListener('message', onMessage);
      clearInterval(poll);
      if (popup && !popup.closed) popup.close();
      frame?.remove();
      const provider = typeof outcome.provider === 'string' ? outcome.provider : undefined;
      if (outcome.status === 'connected' && provider && typeof outcome.connectionId === 'string') {
        resolve({ status: 'connected', provider, connectionId: outcome.connectionId });
      } else {
        const code = typeof outcome.error === 'string' ? outcome.error : String(outcome.status ?? 'error');
        reject(new ConnectError(code, code === 'closed' ? 'The connect window was closed' : `The connection failed: ${code}`, provider));
      }
    };

    // Only the page this call opened, from the connect URL's origin, can settle it.
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== page.origin || event.source !== target()) return;
      const data = event.data as Outcome & { type?: unknown };
      if (data && typeof data === 'object' && data.type === MESSAGE_TYPE) settle(data);
    };
    window.addEventListener('message', onMessage);

    // An OAuth provider sends the window back to the session's returnUrl: readable once it is on this page's origin.
    let gone = false;
    const poll = setInterval(() => {
      const opened = target();
      if (popup?.closed || !opened) {
        // One more tick: the page posts its outcome just before it closes itself.
        if (gone) settle({ status: 'closed' });
        gone = true;
        return;
      }
      try {
        if (opened.location.origin !== location.origin) return;
        const back = new URLSearchParams(opened.location.search);
        if (back.get('status')) settle(Object.fromEntries(back));
      } catch {
        // Still on Plugboard or the provider: another origin.
      }
    }, POLL_MS);
  });
}
