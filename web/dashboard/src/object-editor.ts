/**
 * ObjectEditor: an object as YAML in a plain text area, saved with a PUT of the whole object — what `kubectl edit`
 * does. The PUT carries the resourceVersion the text was made from, so a change made by anyone else meanwhile is a
 * 409 Conflict rather than silently overwritten; the editor then says so and offers to reload.
 *
 * Contract: the user's text is never lost by the editor. Until the user types, the text follows the live object
 * (the informer's copy); from the first keystroke it is theirs, kept through live updates and failed saves (parse
 * errors, 409, 422, 403 are shown as a message beside it), and replaced only after a successful save or when the
 * user chooses to reload.
 *
 * The YAML library (about 30 KB gzipped) is imported on demand, a chunk of its own, so the dashboard's first load
 * does not pay for it.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, send, type KubeObject } from './api.js';

type YamlModule = typeof import('yaml');

let yamlModule: Promise<YamlModule> | undefined;

function loadYaml(): Promise<YamlModule> {
  yamlModule ??= import('yaml');
  return yamlModule;
}

/**
 * shownObject is the object as the editor shows it: without metadata.managedFields, as `kubectl edit` and
 * `kubectl get -o yaml` show it (the server keeps the stored ones when an update leaves them out).
 */
function shownObject(o: KubeObject): KubeObject {
  const { managedFields: _dropped, ...metadata } = o.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  return { ...o, metadata };
}

type Outcome =
  | { kind: 'none' }
  | { kind: 'saving' }
  | { kind: 'saved'; resourceVersion: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'conflict'; message: string }
  | { kind: 'failed'; code: number; message: string };

export function ObjectEditor(props: { object: KubeObject; url: string; label: string }) {
  const [yaml, setYaml] = useState<YamlModule | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  // The user's text and the resourceVersion it was made from; undefined while the editor follows the live object.
  const [draft, setDraft] = useState<{ text: string; baseVersion: string } | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'none' });
  useEffect(() => {
    loadYaml().then(setYaml, (err: unknown) => setLoadError(String(err)));
  }, []);
  if (loadError) return html`<p class="error" role="alert">Cannot load the YAML editor: ${loadError}</p>`;
  if (!yaml) return html`<p class="loading">Loading the editor…</p>`;

  const live = props.object.metadata.resourceVersion ?? '';
  // lineWidth 0: long strings (annotations, messages) stay on one line instead of being folded.
  const text = draft?.text ?? yaml.stringify(shownObject(props.object), { lineWidth: 0, aliasDuplicateObjects: false });
  const changedMeanwhile = draft !== undefined && draft.baseVersion !== live;

  const save = async (): Promise<void> => {
    let body: unknown;
    try {
      body = yaml.parse(text);
    } catch (err) {
      setOutcome({ kind: 'invalid', message: `The YAML does not parse: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      setOutcome({ kind: 'invalid', message: 'The YAML must be one object (a mapping with apiVersion, kind, metadata…).' });
      return;
    }
    setOutcome({ kind: 'saving' });
    try {
      const saved = await send<KubeObject>('PUT', props.url, body);
      setDraft(undefined);
      setOutcome({ kind: 'saved', resourceVersion: saved.metadata.resourceVersion ?? '' });
    } catch (err) {
      if (!(err instanceof ApiError)) setOutcome({ kind: 'failed', code: 0, message: String(err) });
      else if (err.code === 409) setOutcome({ kind: 'conflict', message: err.message });
      else setOutcome({ kind: 'failed', code: err.code, message: err.message });
    }
  };
  const reload = (): void => {
    setDraft(undefined);
    setOutcome({ kind: 'none' });
  };

  let message = null;
  if (outcome.kind === 'saving') message = html`<p class="loading" role="status">Saving…</p>`;
  else if (outcome.kind === 'saved') message = html`<p class="ok" role="status" data-outcome="saved">Saved (resourceVersion ${outcome.resourceVersion}).</p>`;
  else if (outcome.kind === 'invalid') message = html`<p class="error" role="alert" data-outcome="invalid">${outcome.message}</p>`;
  else if (outcome.kind === 'failed') message = html`<p class="error" role="alert" data-outcome="failed">Not saved (${outcome.code || 'no answer'}): ${outcome.message}</p>`;
  else if (outcome.kind === 'conflict') {
    message = html`<div class="error" role="alert" data-outcome="conflict">
      <p>Not saved: the object changed on the server after you began editing (409 Conflict: ${outcome.message}). Your text is kept below; copy what you need, then reload to edit the current version.</p>
      <button type="button" data-action="reload" onClick=${reload}>Reload (discard my edits)</button>
    </div>`;
  }
  return html`<div class="editor" data-editor=${props.label}>
    ${message}
    ${changedMeanwhile && outcome.kind !== 'conflict' ? html`<p class="note" data-testid="changed-meanwhile">The object changed on the server since you began editing (resourceVersion ${draft.baseVersion} → ${live}); saving will be refused as a conflict.</p>` : null}
    <textarea class="yaml" spellcheck="false" wrap="off" rows="28" aria-label=${`YAML of ${props.label}`} value=${text}
      onInput=${(e: Event) => setDraft({ text: (e.target as HTMLTextAreaElement).value, baseVersion: draft?.baseVersion ?? live })}></textarea>
    <p class="editor-actions">
      <button type="button" data-action="save" disabled=${outcome.kind === 'saving'} onClick=${() => void save()}>Save</button>
      ${draft ? html`<button type="button" data-action="discard" onClick=${reload}>Discard edits</button>` : html`<span class="note">Showing the live object; typing starts an edit.</span>`}
    </p>
  </div>`;
}
