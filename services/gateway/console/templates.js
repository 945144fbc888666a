'use strict';
// Templates (UJ6.4.2): the job page's "Save as template" tab (suggested when validation says
// Production Ready), and the "Templates" library, where a template starts a new job on a chosen
// training file (POST /jobs with template_id). The rules live in the jobs service.

function templateForm(ctx, onSaved) {
  const name = h('input', {type: 'text', maxlength: 120, testid: 'template-name', value: `${ctx.job.name} - template`});
  const description = h('textarea', {maxlength: 1000, testid: 'template-description', placeholder: 'When to use this configuration'});
  const tags = h('input', {type: 'text', testid: 'template-tags', placeholder: 'comma-separated, e.g. finance, high-quality'});
  const visibility = h('select', {testid: 'template-visibility'}, h('option', {value: 'private'}, 'Private (only me)'), h('option', {value: 'team'}, 'Team'));
  const err = h('div', {testid: 'template-error-area'});
  const save = h('button', {class: 'btn primary', testid: 'template-save', onclick: async () => {
    save.disabled = true; put(err);
    try {
      const t = await api('/templates', {method: 'POST', json: {job_id: ctx.id, name: name.value, description: description.value,
        tags: tags.value.split(',').map(s => s.trim()).filter(Boolean), visibility: visibility.value}});
      toast(`Template “${t.name}” saved.`); onSaved(t);
    } catch (e) { put(err, errorBox(e, 'template-error')); save.disabled = false; }
  }}, 'Save as template');
  return h('div', {},
    h('label', {class: 'field'}, 'Template name', name), h('label', {class: 'field'}, 'Description', description),
    h('label', {class: 'field'}, 'Tags', tags), h('label', {class: 'field'}, 'Visibility', visibility), err, save);
}

async function templateTab(pane, ctx) {
  const j = ctx.job;
  const compareLink = h('p', {style: 'margin-top:12px'}, h('a', {href: `#/compare/${ctx.id}`, testid: 'compare-with-others'}, 'Compare with other jobs →'));
  if (j.status !== 'completed') {
    return put(pane, h('section', {class: 'card'}, h('h2', {}, 'Save as template'),
      h('p', {class: 'muted', testid: 'template-not-ready'}, `This job is ${label(j.status).toLowerCase()}: a completed job’s configuration can be saved as a template.`), compareLink));
  }
  const suggestion = h('div', {testid: 'template-suggestion-area'});
  put(pane, h('section', {class: 'card', testid: 'template-card'}, h('h2', {}, 'Save as template'), suggestion,
    h('p', {class: 'small muted'}, 'Saves this job’s hyperparameters, LoRA settings, base model and GPU settings (type, pricing, count) to start new jobs from.'),
    templateForm(ctx, t => put(pane, h('section', {class: 'card'}, h('div', {class: 'notice ok', testid: 'template-saved'},
      h('p', {}, `Saved as “${t.name}”. `, h('a', {href: '#/templates'}, 'Open the template library'), '.')), compareLink))), compareLink));
  // UJ6.4.2 "suggestion based on job success metrics": validation's perplexity badge.
  try {
    const view = await api(`/jobs/${ctx.id}/validation`);
    const perplexity = typeof validationSuites === 'function' ? validationSuites(view).perplexity : null;
    const badgeText = perplexity && (perplexity.badge || (perplexity.figures || {}).badge);
    if (ctx.alive() && badgeText === 'Production Ready') {
      put(suggestion, h('div', {class: 'notice ok', testid: 'template-suggestion'},
        h('p', {}, h('strong', {}, 'This job validated as Production Ready.'), ' Save its configuration as a template to reuse it.')));
    }
  } catch { /* no validation yet: the form stands on its own */ }
}

function viewTemplates(main) {
  const v = {alive: true, tags: []};
  const list = h('div', {testid: 'template-list'}, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading templates…'));
  // GET /templates?tag=: the tags offered are those of the templates listed unfiltered.
  const tag = h('select', {testid: 'template-tag-filter', 'aria-label': 'Filter by tag', style: 'width:auto', onchange: () => load()});
  put(main, h('div', {class: 'page-head'}, h('div', {}, h('h1', {}, 'Templates'),
    h('p', {class: 'muted'}, 'Configurations saved from successful jobs. Start a new job from one on any training file.')),
    h('label', {class: 'row small'}, 'Tag ', tag)), list);
  async function load() {
    let templates, files;
    const only = tag.value;
    try { [templates, files] = await Promise.all([api(only ? `/templates?tag=${encodeURIComponent(only)}` : '/templates'), api('/training-files')]); }
    catch (err) { return v.alive && put(list, errorBox(err, 'templates-error')); }
    if (!v.alive || only !== tag.value) return;
    if (!only) v.tags = [...new Set(templates.flatMap(t => t.tags))].sort();
    put(tag, h('option', {value: ''}, 'All tags'), v.tags.map(t => h('option', {value: t, selected: t === only}, t)));
    if (!templates.length) return put(list, only ? h('div', {class: 'card empty', testid: 'templates-empty'}, h('strong', {}, `No templates tagged “${only}”`))
      : h('div', {class: 'card empty', testid: 'templates-empty'}, h('strong', {}, 'No templates yet'),
        'Open a completed job and use its “Save as template” tab.'));
    const eligible = files.filter(f => f.eligibility && f.eligibility.eligible);
    put(list, h('div', {class: 'stack'}, templates.map(t => card(t, eligible))));
  }
  function card(t, files) {
    const hp = t.hyperparameters, err = h('div', {});
    const file = h('select', {testid: 'template-file', style: 'width:auto;max-width:320px'},
      files.length ? files.map(f => h('option', {value: f.id}, f.name)) : h('option', {value: ''}, 'No eligible training file'));
    const start = h('button', {class: 'btn primary small', testid: 'template-start', disabled: !files.length, onclick: async () => {
      if (!window.confirm(`Start a training job from “${t.name}” on ${file.selectedOptions[0].textContent}?`)) return;
      start.disabled = true; put(err);
      try {
        const job = await api('/jobs', {method: 'POST', json: {training_file_id: file.value, template_id: t.id}});
        toast('Training job created from the template.'); location.hash = `#/jobs/${job.id}`;
      } catch (e) { put(err, errorBox(e, 'template-start-error')); start.disabled = false; }
    }}, 'Start a job');
    const remove = h('button', {class: 'btn danger small', testid: 'template-delete', onclick: async () => {
      if (!window.confirm(`Delete the template “${t.name}”?`)) return;
      try { await api(`/templates/${t.id}`, {method: 'DELETE'}); load(); } catch (e) { put(err, errorBox(e, 'template-delete-error')); }
    }}, 'Delete');
    return h('section', {class: 'card', testid: 'template-item'},
      h('div', {class: 'page-head', style: 'margin-bottom:6px'}, h('div', {}, h('h2', {style: 'margin:0'}, t.name),
        h('p', {class: 'small muted'}, `${label(t.visibility)} · saved ${when(t.created_at)}`, t.source_job_id ? [' from ', h('a', {href: `#/jobs/${t.source_job_id}`}, t.source_job_name)] : '')), remove),
      t.description && h('p', {}, t.description),
      t.tags.length > 0 && h('div', {class: 'tags'}, t.tags.map(tag => h('span', {class: 'chip'}, tag))),
      h('p', {class: 'small', style: 'margin-top:8px'}, `${label(t.preset)} preset · r ${t.lora.r}, alpha ${t.lora.alpha} · lr ${sci(hp.learning_rate)} · ${hp.epochs} epochs · batch ${hp.micro_batch_size} × ${hp.grad_accumulation} · ` +
        `${t.gpu_count > 1 ? `${t.gpu_count} × ` : ''}${t.gpu_type} ${t.pricing === 'spot' ? 'spot' : 'on-demand'} · ${t.model.name}`),
      h('div', {class: 'row', style: 'margin-top:8px'}, h('span', {class: 'small'}, 'Training file'), file, start), err);
  }
  load();
  return {cleanup: () => { v.alive = false; }};
}

ROUTES.push(['templates', /^#\/templates$/, viewTemplates]);
NAV_LINKS.push(['templates', 'Templates']);
JOB_TABS.push({key: 'template', title: 'Save as template', show: templateTab});
