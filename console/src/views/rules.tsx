import { useState } from 'preact/hooks';
import { ROUTING_ATTRIBUTES } from '../../../src/routing/routing-attributes.js';
import { call } from '../api.js';
import type { Me } from '../main.js';
import { Badge, ErrorBox, Head, Section, useAction, useLoad } from '../ui.js';
import { DryRunResult } from './dry-run-view.js';
import { History } from './rule-history.js';
import { studyText, whenText, type DryRun, type Rule, type RuleSet } from './rule-model.js';
import { RuleTester } from './rule-tester-view.js';
import { StudyWaits } from './study-waits-view.js';

/** What a new study rule starts from in the editor: two required series, a timeout, skip. */
const STUDY_TEMPLATE = {
  requiredSeries: [
    { name: 't1', when: { SeriesDescription: { wildcard: '*T1*' } } },
    { name: 'dixon', when: { SeriesDescription: { wildcard: '*DIXON*' } } },
  ],
  input: 't1',
  timeoutSeconds: 1800,
  onTimeout: 'skip',
};

export function RulesView(_: { me: Me }) {
  const set = useLoad(() => call<RuleSet>('rules'), []);
  const [editing, setEditing] = useState<Rule | 'new'>();
  const [historyOpen, setHistoryOpen] = useState(false);
  const toggle = useAction();
  const reload = () => set.reload();
  return (
    <>
      <Section
        title={`Routing rules${set.data ? ` · version ${set.data.version}` : ''}`}
        actions={
          <>
            <button data-action="new-rule" onClick={() => setEditing('new')}>
              New rule
            </button>
            <button class="secondary" data-action="history" onClick={() => setHistoryOpen(!historyOpen)}>
              {historyOpen ? 'Hide history' : 'Version history'}
            </button>
          </>
        }
      >
        <ErrorBox error={set.error ?? toggle.error} />
        {set.data && set.data.rules.length === 0 ? <p class="muted">No rules yet: stored series are archived but nothing is routed.</p> : null}
        {set.data && set.data.rules.length > 0 ? (
          <table data-testid="rules">
            <Head columns={['Rule', 'State', 'Priority', 'When', 'Model', 'Destinations', 'Review', '']} />
            <tbody>
              {set.data.rules.map((r) => (
                <tr key={r.id} data-rule={r.id} data-enabled={String(r.enabled)}>
                  <td>
                    <strong>{r.id}</strong>
                    {r.name ? <div class="muted">{r.name}</div> : null}
                  </td>
                  <td>{r.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="off">disabled</Badge>}</td>
                  <td>{r.priority}</td>
                  <td class="mono">
                    {whenText(r.when)}
                    {r.study ? <div data-testid="rule-study">{studyText(r.study)}</div> : null}
                  </td>
                  <td>{r.model}</td>
                  <td>{r.destinations.map((d) => d.name).join(', ') || '—'}</td>
                  <td>{r.review}</td>
                  <td class="row-actions">
                    <button data-action="edit" onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    <button class="secondary" data-action="toggle" disabled={toggle.busy} onClick={() => toggle.run(() => call('ruleUpdate', { params: { id: r.id }, body: { ...r, enabled: !r.enabled } })).then(reload)}>
                      {r.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
      {editing ? (
        <RuleEditor
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            reload();
          }}
        />
      ) : null}
      {historyOpen ? <History current={set.data?.version ?? 0} onReverted={reload} /> : null}
      <RuleTester />
      <StudyWaits />
    </>
  );
}

function RuleEditor({ rule, onClose, onSaved }: { rule?: Rule; onClose: () => void; onSaved: () => void }) {
  const [id, setId] = useState(rule?.id ?? '');
  const [name, setName] = useState(rule?.name ?? '');
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [priority, setPriority] = useState(String(rule?.priority ?? 0));
  const [quiet, setQuiet] = useState(rule?.quietSeconds === undefined ? '' : String(rule.quietSeconds));
  const [when, setWhen] = useState(JSON.stringify(rule?.when ?? { Modality: 'MR' }, null, 2));
  const [trigger, setTrigger] = useState<'series' | 'study'>(rule?.trigger ?? 'series');
  const [study, setStudy] = useState(JSON.stringify(rule?.study ?? STUDY_TEMPLATE, null, 2));
  const [model, setModel] = useState(rule?.model ?? '');
  const [dests, setDests] = useState((rule?.destinations ?? []).map((d) => d.name).join(', '));
  const [review, setReview] = useState<Rule['review']>(rule?.review ?? 'immediate');
  const [local, setLocal] = useState<string>();
  const [dry, setDry] = useState<DryRun>();
  const save = useAction();
  const tryIt = useAction();
  const models = useLoad(() => call<{ models: { id: string; name: string }[] }>('models').catch(() => ({ models: [] })), []);

  /** The rule as the API takes it, or undefined with a message for what cannot even be sent. */
  const draft = (): Rule | undefined => {
    let parsedWhen: Record<string, unknown>;
    try {
      parsedWhen = JSON.parse(when || '{}') as Record<string, unknown>;
    } catch (e) {
      setLocal(`when: not valid JSON (${(e as Error).message})`);
      return undefined;
    }
    let parsedStudy: Rule['study'];
    try {
      parsedStudy = trigger === 'study' ? (JSON.parse(study || '{}') as Rule['study']) : undefined;
    } catch (e) {
      setLocal(`study: not valid JSON (${(e as Error).message})`);
      return undefined;
    }
    const pr = Number(priority);
    if (!Number.isInteger(pr)) {
      setLocal('priority: a whole number from -100 to 100');
      return undefined;
    }
    setLocal(undefined);
    const r: Rule = {
      id: id.trim(),
      enabled,
      priority: pr,
      when: parsedWhen,
      model: model.trim(),
      destinations: dests
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((n) => ({ name: n, seg: rule?.destinations.find((d) => d.name === n)?.seg ?? {} })),
      review,
    };
    if (trigger === 'study') Object.assign(r, { trigger, study: parsedStudy });
    if (name.trim()) r.name = name.trim();
    if (quiet.trim() !== '') r.quietSeconds = Number(quiet);
    return r;
  };

  return (
    <Section title={rule ? `Edit rule ${rule.id}` : 'New rule'} actions={<button class="secondary" onClick={onClose}>Close</button>}>
      <form
        class="form"
        data-testid="rule-editor"
        onSubmit={(e) => {
          e.preventDefault();
          const r = draft();
          if (!r) return;
          void save.run(() => (rule ? call('ruleUpdate', { params: { id: rule.id }, body: r }) : call('ruleCreate', { body: r }))).then((ok) => ok && onSaved());
        }}
      >
        <label>
          Id <input name="id" value={id} disabled={!!rule} onInput={(e) => setId((e.target as HTMLInputElement).value)} placeholder="ct-legs" />
        </label>
        <label>
          Name <input name="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="check">
          <input name="enabled" type="checkbox" checked={enabled} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} /> Enabled
        </label>
        <label>
          Priority <input name="priority" value={priority} onInput={(e) => setPriority((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Quiet seconds <input name="quietSeconds" value={quiet} placeholder="(default)" onInput={(e) => setQuiet((e.target as HTMLInputElement).value)} />
        </label>
        <label class="wide">
          When (DICOM keyword → value or {'{ equals | wildcard | regex | in | range | present }'})
          <textarea name="when" rows={5} value={when} onInput={(e) => setWhen((e.target as HTMLTextAreaElement).value)} />
          <span class="muted" data-testid="rule-attributes">
            Attributes: {ROUTING_ATTRIBUTES.join(', ')}. Plane is axial, coronal, sagittal or oblique (from Image Orientation (Patient)); Sender is the storing token.
          </span>
        </label>
        <label>
          Trigger
          <select name="trigger" value={trigger} onChange={(e) => setTrigger((e.target as HTMLSelectElement).value as 'series' | 'study')}>
            <option value="series">each stable series</option>
            <option value="study">the study (required series, timeout)</option>
          </select>
        </label>
        {trigger === 'study' ? (
          <label class="wide">
            Study (requiredSeries: name + when each; input: the one the model runs on; timeoutSeconds; onTimeout: skip | run)
            <textarea name="study" rows={8} value={study} onInput={(e) => setStudy((e.target as HTMLTextAreaElement).value)} />
          </label>
        ) : null}
        <label>
          Model
          <input name="model" list="model-ids" value={model} onInput={(e) => setModel((e.target as HTMLInputElement).value)} />
          <datalist id="model-ids">{models.data?.models.map((m) => <option key={m.id} value={m.id}>{m.name}</option>)}</datalist>
        </label>
        <label>
          Destinations (comma-separated) <input name="destinations" value={dests} onInput={(e) => setDests((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Review
          <select name="review" value={review} onChange={(e) => setReview((e.target as HTMLSelectElement).value as Rule['review'])}>
            <option value="immediate">deliver immediately</option>
            <option value="after-review">deliver after review</option>
          </select>
        </label>
        <div class="wide buttons">
          <button type="submit" data-action="save-rule" disabled={save.busy}>
            {rule ? 'Save' : 'Create'}
          </button>
          <button
            type="button"
            class="secondary"
            data-action="dry-run"
            disabled={tryIt.busy}
            onClick={() => {
              const r = draft();
              if (r) void tryIt.run(async () => setDry(await call<DryRun>('dryRun', { body: { rule: r } })));
            }}
          >
            Dry-run against stored series
          </button>
          {rule ? (
            <button type="button" class="danger" data-action="delete-rule" disabled={save.busy} onClick={() => save.run(() => call('ruleDelete', { params: { id: rule.id } })).then((ok) => ok && onSaved())}>
              Delete rule
            </button>
          ) : null}
        </div>
        <ErrorBox error={local ?? save.error ?? tryIt.error} testid="rule-error" />
      </form>
      {dry ? <DryRunResult result={dry} ruleId={id.trim()} /> : null}
      <RuleTester draft={draft} />
    </Section>
  );
}
