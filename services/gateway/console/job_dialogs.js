'use strict';
// The job page's dialogs (issue 17): the interruption history behind the "Interrupted 2x" badge
// (UJ4.1.2) and the resume-from-checkpoint dialog (UJ4.3.2). index.html's job view opens them:
// `openInterruptionHistory(job)` and `openResumeDialog(job)`. Every figure comes from the API
// (the job's `interruption_history`, GET /jobs/{id}/checkpoints, POST /jobs/{id}/resume with
// dry_run for the plan and its fresh estimate); nothing here computes a price.

document.head.append(h('style', {}, `
dialog.wide{max-width:820px;width:calc(100% - 32px)}
dialog .dl-grid{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;font-size:14px;margin:0 0 12px}
dialog .dl-grid dt{color:var(--muted)}dialog .dl-grid dd{margin:0}`));

// A modal built on demand, removed from the page when it closes.
function modal(testid, title, ...body) {
  const dialog = h('dialog', {class: 'wide', testid, 'aria-label': title}, h('h2', {}, title), ...body);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
const closeRow = (dialog, ...extra) => h('div', {class: 'row', style: 'justify-content:flex-end;gap:8px;margin-top:12px'},
  h('button', {class: 'btn', testid: 'dialog-close', onclick: () => dialog.close()}, extra.length ? 'Cancel' : 'Close'), ...extra);

// -- UJ4.1.2: per interruption the step, downtime, steps lost and cost; then the totals
function openInterruptionHistory(job) {
  const ih = job.interruption_history || {}, items = ih.items || [];
  const lost = items.reduce((n, i) => n + (i.steps_lost || 0), 0);
  const costOf = c => c == null ? (job.gpu_type === 'cpu' ? 'Free (local CPU)' : '—') : money(c);
  const rows = items.map((i, n) => h('tr', {testid: 'interruption-row'},
    h('td', {}, `Interruption ${n + 1}`),
    h('td', {testid: 'interruption-step'}, `Step ${int(i.step)}`),
    h('td', {testid: 'interruption-recovered'}, i.recovered_at ? `recovered at step ${int(i.resumed_from_step ?? i.step)}` : 'not recovered'),
    h('td', {testid: 'interruption-downtime'}, i.downtime_s == null ? '—' : dur(i.downtime_s)),
    h('td', {testid: 'interruption-steps-lost'}, i.steps_lost == null ? '—' : int(i.steps_lost)),
    h('td', {testid: 'interruption-cost'}, costOf(i.extra_cost_cents)),
    h('td', {class: 'small muted'}, label(i.cause || 'reclaimed'), i.interrupted_at ? ` · ${when(i.interrupted_at)}` : '')));
  let dialog = null;
  dialog = modal('interruption-dialog', ih.summary || 'Interruptions',
    h('p', {class: 'small muted'}, 'Each interruption ends the machine; the job resumes from its newest checkpoint on a new one. ' +
      'Downtime is from the interruption to the first step trained again; its cost is that time at this job’s rate.'),
    h('table', {class: 'tbl', testid: 'interruption-table'},
      h('thead', {}, h('tr', {}, ['', 'Interrupted at', 'Recovery', 'Downtime', 'Steps lost', 'Extra cost', 'Cause'].map(t => h('th', {}, t)))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {testid: 'interruption-totals', style: 'font-weight:600'},
        h('td', {}, 'Total'), h('td', {}, `${int(ih.count || items.length)} interruption${(ih.count || items.length) === 1 ? '' : 's'}`), h('td', {}),
        h('td', {testid: 'interruption-total-downtime'}, dur(ih.total_downtime_s)),
        h('td', {testid: 'interruption-total-steps-lost'}, int(lost)),
        h('td', {testid: 'interruption-total-cost'}, costOf(ih.extra_cost_cents)), h('td', {})))),
  );
  dialog.append(closeRow(dialog));
  return dialog;
}

// -- UJ4.3.2: pick the checkpoint, change what a resume may change, see the fresh estimate
async function openResumeDialog(job) {
  let checkpoints = [], gpus = [];
  try {
    [checkpoints, gpus] = await Promise.all([api(`/jobs/${job.id}/checkpoints`), gpuTypeChoices()]);
  } catch (err) {
    const d = modal('resume-dialog', 'Resume from a checkpoint', errorBox(err, 'resume-error'));
    d.append(closeRow(d));
    return d;
  }
  const total = (job.estimate || {}).total_steps || 0;
  const hp = job.hyperparameters || {}, l = job.lora || {};
  const pctOf = step => total ? ` (${Math.round(100 * step / total)}% complete)` : '';
  const checkpoint = h('select', {testid: 'resume-checkpoint', onchange: () => plan()},
    [...checkpoints].reverse().map((c, n) => h('option', {value: c.step, selected: n === 0}, `Step ${int(c.step)}${pctOf(c.step)}${n === 0 ? ' · newest' : ''}`)));
  const every = h('input', {type: 'number', min: 1, step: 1, value: hp.checkpoint_every_steps, testid: 'resume-checkpoint-every', oninput: debounce(() => plan(), 250)});
  const gpu = h('select', {testid: 'resume-gpu-type', onchange: () => plan()},
    gpus.map(g => h('option', {value: g.value, selected: g.value === job.gpu_type}, g.text)));
  if (!gpus.some(g => g.value === job.gpu_type)) gpu.prepend(h('option', {value: job.gpu_type, selected: true}, job.gpu_type));
  const pricing = h('select', {testid: 'resume-pricing', onchange: () => plan()},
    h('option', {value: 'spot', selected: job.pricing === 'spot'}, 'Spot'), h('option', {value: 'on_demand', selected: job.pricing !== 'spot'}, 'On-demand'));
  const heading = h('p', {testid: 'resume-from', style: 'font-weight:600'});
  const result = h('div', {testid: 'resume-plan'}, h('p', {class: 'muted small'}, h('span', {class: 'spinner'}), ' Planning…'));
  const start = h('button', {class: 'btn primary', testid: 'resume-confirm', disabled: true, onclick: go}, 'Resume as a new job');
  const fixed = (k, val) => [h('dt', {}, k), h('dd', {}, val)];
  const dialog = modal('resume-dialog', 'Resume from a checkpoint',
    checkpoints.length === 0 ? h('div', {class: 'notice warn', testid: 'resume-no-checkpoints'}, 'This job saved no checkpoint: retry it from the start instead.') : [
      heading,
      h('label', {class: 'field'}, 'Checkpoint', checkpoint),
      h('h3', {}, 'Previous configuration'),
      h('dl', {class: 'dl-grid', testid: 'resume-previous-config'},
        fixed('LoRA', `r ${l.r}, alpha ${l.alpha}, dropout ${l.dropout}`),
        fixed('Training', `lr ${sci(hp.learning_rate)} · ${hp.epochs} epochs · batch ${hp.micro_batch_size} × ${hp.grad_accumulation} · max length ${hp.max_seq_len}`)),
      h('p', {class: 'small muted'}, 'The checkpoint carries the run’s optimizer, schedule and data order, so these stay as they were. ' +
        'To change them, retry from the start. A resume may change where it runs and how often it saves:'),
      h('div', {class: 'row', style: 'gap:12px;align-items:flex-end;flex-wrap:wrap'},
        h('label', {class: 'field'}, 'GPU type', gpu), h('label', {class: 'field'}, 'Pricing', pricing),
        h('label', {class: 'field'}, 'Checkpoint every (steps)', every)),
      result]);
  dialog.append(closeRow(dialog, start));
  let seq = 0, current = null;
  if (checkpoints.length) plan();
  return dialog;

  function body() {
    const b = {checkpoint_step: Number(checkpoint.value)};
    if (gpu.value !== job.gpu_type) b.gpu_type = gpu.value;
    if (pricing.value !== job.pricing) b.pricing = pricing.value;
    if (every.value && Number(every.value) !== hp.checkpoint_every_steps) b.overrides = {checkpoint_every_steps: Number(every.value)};
    return b;
  }
  async function plan() {
    const mine = ++seq, b = body();
    heading.textContent = `Resume from step ${int(b.checkpoint_step)}${pctOf(b.checkpoint_step)}`;
    start.disabled = true;
    try {
      const p = await api(`/jobs/${job.id}/resume`, {method: 'POST', json: {...b, dry_run: true}});
      if (mine !== seq || !dialog.isConnected) return;
      current = b;
      renderPlan(p);
      start.disabled = false;
    } catch (err) { if (mine === seq) put(result, errorBox(err, 'resume-error')); }
  }
  function renderPlan(p) {
    const e = p.estimate || {}, left = Math.max(0, (e.total_steps || 0) - (e.resumed_at_step || 0));
    const free = !e.cost_cents_high;
    put(result, h('div', {class: 'notice info', testid: 'resume-estimate'},
      h('strong', {}, 'Fresh estimate for the steps left'),
      h('dl', {class: 'dl-grid', style: 'margin-top:6px'},
        fixed('Steps left', h('span', {testid: 'resume-steps-left'}, `${int(left)} of ${int(e.total_steps)}`)),
        fixed('Duration', h('span', {testid: 'resume-duration'}, `${dur(e.duration_s_low)} – ${dur(e.duration_s_high)}`)),
        fixed('Cost', h('span', {testid: 'resume-cost'}, free ? 'Free (local CPU)' : `${money(e.cost_cents_low)} – ${money(e.cost_cents_high)}`)),
        fixed('Rate', h('span', {testid: 'resume-rate'}, free ? 'Free' : `${money(e.hourly_rate_cents)}/hour, ${e.gpu_count > 1 ? `${e.gpu_count} × ` : ''}${e.gpu_type} ${e.pricing === 'spot' ? 'spot' : 'on-demand'}`))),
      (e.warnings || []).map(w => h('p', {class: 'small', style: 'margin:4px 0 0'}, `⚠ ${w}`)),
      e.accuracy_note && h('p', {class: 'small muted', style: 'margin:4px 0 0'}, `Accuracy: ${e.accuracy_note}.`)),
      h('p', {class: 'small', testid: 'resume-changes'}, (p.changes || []).length === 0 ? 'Same configuration as before.' :
        'Changes: ' + p.changes.map(c => `${label(c.field)} ${c.before} → ${c.after}`).join(', ')),
      p.checkpoint_size_bytes && h('p', {class: 'small muted'}, `Checkpoint size ${bytes(p.checkpoint_size_bytes)}, checksums verified.`));
  }
  async function go() {
    start.disabled = true; start.textContent = 'Resuming…';
    try {
      const created = await api(`/jobs/${job.id}/resume`, {method: 'POST', json: current || body()});
      dialog.close();
      location.hash = `#/jobs/${created.id}`;
    } catch (err) {
      put(result, errorBox(err, 'resume-error'));
      start.textContent = 'Resume as a new job'; start.disabled = false;
    }
  }
}
