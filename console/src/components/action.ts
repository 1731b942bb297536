import { useState } from 'react';
import { errorMessage } from '../api.ts';

/**
 * Runs what a control does and keeps its outcome for the page to show: busy while it runs, then the
 * message it returns, or the problem's text when it fails.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const run = async (what: () => Promise<string | void>): Promise<void> => {
    setBusy(true);
    setError('');
    setMessage('');
    try {
      const text = await what();
      if (text) setMessage(text);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, message, error };
}
