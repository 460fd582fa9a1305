import { useEffect, useState } from 'react';
import clsx from 'clsx';
import { Eye } from 'lucide-react';
import type { ParsedCredentials, SetupResult, SetupState, VerifyResult } from '../../src-shared/bridge.js';
import { useAgentStore } from '../stores/agent-store.js';
import { useUiStore } from '../stores/ui-store.js';

type Step = 'choose' | 'credentials' | 'extras' | 'done';
const steps: ReadonlyArray<[Step, string]> = [
  ['choose', 'Server'],
  ['credentials', 'Verify'],
  ['extras', 'Git and packages'],
  ['done', 'Saved'],
];

/**
 * First launch (no clearml.conf) or "Switch server": paste the web app's credentials block or
 * pick this workstation only, verify by logging in, add git and package index settings, save.
 * The pasted secret never comes back from the agent; in the page it is drawn masked.
 */
export function SetupWizard() {
  const bridge = useAgentStore((s) => s.bridge);
  const perform = useAgentStore((s) => s.perform);
  const go = useUiStore((s) => s.go);
  const [state, setState] = useState<SetupState | null>(null);
  const [step, setStep] = useState<Step>('choose');
  const [mode, setMode] = useState<'remote' | 'embedded'>('remote');
  const [pasted, setPasted] = useState('');
  const [parsed, setParsed] = useState<ParsedCredentials | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const [showing, setShowing] = useState(false);
  const [verify, setVerify] = useState<VerifyResult | null>(null);
  const [working, setWorking] = useState(false);
  const [gitUser, setGitUser] = useState('');
  const [gitToken, setGitToken] = useState('');
  const [extraIndexUrl, setExtraIndexUrl] = useState('');
  const [result, setResult] = useState<SetupResult | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);

  useEffect(() => {
    void bridge?.call('setupGetState', {}).then(setState, () => setState(null));
  }, [bridge]);

  const parse = async (text: string) => {
    setPasted(text);
    setVerify(null);
    if (!text.trim() || !bridge) return setParsed(null);
    try {
      setParsed(await bridge.call('setupParseCredentials', { text }));
      setParseError(null);
    } catch (error) {
      setParsed(null);
      setParseError(error instanceof Error ? error.message : String(error));
    }
  };

  const runVerify = async () => {
    if (!bridge) return;
    setWorking(true);
    try {
      setVerify(await bridge.call('setupVerify', mode === 'embedded' ? { mode } : { mode, credentialsText: pasted }));
    } catch (error) {
      setVerify({ ok: false, user: null, apiVersion: null, error: error instanceof Error ? error.message : String(error) });
    } finally {
      setWorking(false);
    }
  };

  const save = async () => {
    if (!bridge) return;
    setWorking(true);
    setSaveError(null);
    try {
      const saved = await bridge.call('setupSave', {
        mode,
        ...(mode === 'remote' ? { credentialsText: pasted } : {}),
        ...(gitUser.trim() ? { gitUser: gitUser.trim(), gitToken } : {}),
        ...(extraIndexUrl.trim() ? { extraIndexUrl: extraIndexUrl.trim() } : {}),
      });
      setResult(saved);
      setStep('done');
      void perform('reloadConfig', {});
    } catch (error) {
      setSaveError(error instanceof Error ? error.message : String(error));
    } finally {
      setWorking(false);
    }
  };

  const stepIndex = steps.findIndex(([s]) => s === step);
  return (
    <section aria-labelledby="setup-title" className="view setup">
      <h1 id="setup-title">Set up Tray Agent</h1>
      <ol className="steps" aria-label="Setup steps">
        {steps.map(([name, label], i) => (
          <li key={name} className={clsx(i < stepIndex && 'done', i === stepIndex && 'current')} aria-current={i === stepIndex ? 'step' : undefined}>
            {label}
          </li>
        ))}
      </ol>
      {state ? (
        <p className="muted">
          Settings are stored in <code>{state.configPath}</code>
          {state.configExists ? ' — it exists: only what it lacks is added, nothing in it is changed.' : ' (it will be created, readable only by you).'}
        </p>
      ) : null}

      {step === 'choose' ? (
        <div className="card">
          <fieldset className="choice-list">
            <legend>Where do this workstation’s tasks come from?</legend>
            <label className="check big-choice">
              <input type="radio" name="setup-mode" checked={mode === 'remote'} onChange={() => setMode('remote')} />
              <span>
                <strong>A ClearML server</strong>
                <span className="muted"> — paste the credentials block from its web app (Settings → Workspace → Create new credentials).</span>
              </span>
            </label>
            <label className="check big-choice">
              <input type="radio" name="setup-mode" checked={mode === 'embedded'} onChange={() => setMode('embedded')} />
              <span>
                <strong>This workstation only</strong>
                <span className="muted"> — the built-in server on 127.0.0.1; tasks are created here with the ClearML SDK or tray-agent task.</span>
              </span>
            </label>
          </fieldset>
          <div className="card-actions">
            <button type="button" className="button primary" onClick={() => setStep('credentials')}>
              Next
            </button>
          </div>
        </div>
      ) : null}

      {step === 'credentials' ? (
        <div className="card">
          {mode === 'remote' ? (
            <>
              <label className="field">
                <span>Paste the credentials block</span>
                <textarea
                  className={clsx('input mono paste', !showing && 'masked')}
                  rows={8}
                  spellCheck={false}
                  autoComplete="off"
                  value={pasted}
                  onChange={(event) => void parse(event.target.value)}
                  placeholder={'api {\n  web_server: https://app.clear.ml\n  api_server: https://api.clear.ml\n  …'}
                  aria-describedby="paste-help"
                />
              </label>
              <p id="paste-help" className="muted small">
                The text is drawn masked because it holds your secret key.{' '}
                <button
                  type="button"
                  className="link-button"
                  onPointerDown={() => setShowing(true)}
                  onPointerUp={() => setShowing(false)}
                  onPointerLeave={() => setShowing(false)}
                  onKeyDown={(event) => event.key === ' ' && setShowing(true)}
                  onKeyUp={() => setShowing(false)}
                  onBlur={() => setShowing(false)}
                >
                  <Eye size={14} aria-hidden="true" /> Hold to show
                </button>
              </p>
              {parseError ? (
                <p className="bad" role="alert">
                  {parseError}
                </p>
              ) : null}
              {parsed ? (
                <dl className="facts" aria-label="Detected credentials">
                  <div>
                    <dt>API server</dt>
                    <dd>{parsed.apiServer}</dd>
                  </div>
                  <div>
                    <dt>Web app</dt>
                    <dd>{parsed.webServer ?? '–'}</dd>
                  </div>
                  <div>
                    <dt>Files</dt>
                    <dd>{parsed.filesServer ?? '–'}</dd>
                  </div>
                  <div>
                    <dt>Access key</dt>
                    <dd>{parsed.accessKey}</dd>
                  </div>
                  <div>
                    <dt>Secret key</dt>
                    <dd>{parsed.secretKeyMasked}</dd>
                  </div>
                </dl>
              ) : null}
            </>
          ) : (
            <p>The built-in server keeps its data in ~/.tray-agent/server and listens on 127.0.0.1 only. Verify starts it and logs in with its own key.</p>
          )}
          {verify ? (
            <p className={verify.ok ? 'good' : 'bad'} role="status" data-testid="verify-result">
              {verify.ok ? `Credentials verified: logged in as ${verify.user ?? 'unknown user'}${verify.apiVersion ? ` (API ${verify.apiVersion})` : ''}.` : `Not verified: ${verify.error}`}
            </p>
          ) : null}
          <div className="card-actions">
            <button type="button" className="button" onClick={() => setStep('choose')}>
              Back
            </button>
            <button type="button" className="button" disabled={working || (mode === 'remote' && !parsed)} onClick={() => void runVerify()}>
              {working ? 'Verifying…' : 'Verify'}
            </button>
            <button type="button" className="button primary" disabled={!verify?.ok} onClick={() => setStep('extras')}>
              Next
            </button>
          </div>
        </div>
      ) : null}

      {step === 'extras' ? (
        <div className="card">
          <p className="muted">Optional: for private git repositories and an extra Python package index.</p>
          <label className="field">
            <span>Git user name</span>
            <input className="input" autoComplete="off" value={gitUser} onChange={(event) => setGitUser(event.target.value)} />
          </label>
          <label className="field">
            <span>Git password or access token</span>
            <input className="input" type="password" autoComplete="new-password" value={gitToken} disabled={!gitUser.trim()} onChange={(event) => setGitToken(event.target.value)} />
          </label>
          <label className="field">
            <span>Extra package index URL (pip --extra-index-url)</span>
            <input className="input" type="url" autoComplete="off" value={extraIndexUrl} onChange={(event) => setExtraIndexUrl(event.target.value)} placeholder="https://pypi.example.org/simple" />
          </label>
          {saveError ? (
            <p className="bad" role="alert">
              {saveError}
            </p>
          ) : null}
          <div className="card-actions">
            <button type="button" className="button" onClick={() => setStep('credentials')}>
              Back
            </button>
            <button type="button" className="button primary" disabled={working} onClick={() => void save()}>
              {working ? 'Saving…' : 'Save'}
            </button>
          </div>
        </div>
      ) : null}

      {step === 'done' && result ? (
        <div className="card" role="status" data-testid="setup-result">
          <h2>{result.created ? `Created ${result.configPath}` : result.added.length ? `Added to ${result.configPath}` : `${result.configPath} already had everything`}</h2>
          {result.added.length ? <p>Written: {result.added.join(', ')}</p> : null}
          {result.kept?.length ? <p className="muted">Already set, left unchanged: {result.kept.join(', ')}</p> : null}
          {result.otherServer ? <p className="warn">The file points at {result.otherServer}; its server settings were left as they are.</p> : null}
          <div className="card-actions">
            <button type="button" className="button primary" onClick={() => go('overview')}>
              Done
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
