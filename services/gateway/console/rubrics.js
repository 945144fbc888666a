'use strict';
// Brand-voice rubrics (UJ5.2.4, issue 17 "the console does all that the API does"): the
// "Rubrics" page lists the uploaded rubrics and uploads a new one (POST /validation/rubrics:
// exactly 10 characteristics, the validation service says why otherwise); the job's Validation
// tab shows which rubric its brand voice is scored with and picks another
// (GET/PUT /jobs/{id}/validation/rubric). The rules all live in the validation service.
const RUBRIC_SIZE = 10;  // UJ5.2.4: "10 characteristics"; the service enforces it, this lays out the form

function rubricDetails(r, testid) {
  return h('details', {testid},
    h('summary', {class: 'small'}, `${r.characteristics.length} characteristics${r.avoid.length ? `, ${r.avoid.length} things to avoid` : ''}`),
    h('ol', {class: 'small'}, r.characteristics.map(c => h('li', {}, h('strong', {}, c.name), c.description ? ` — ${c.description}` : ''))),
    r.avoid.length > 0 && h('p', {class: 'small'}, 'Avoid: ', r.avoid.join(' · ')));
}

function rubricForm(onSaved) {
  const name = h('input', {type: 'text', maxlength: 200, testid: 'rubric-name', placeholder: 'e.g. Elena Morales voice'});
  const rows = Array.from({length: RUBRIC_SIZE}, (_, i) => ({
    name: h('input', {type: 'text', maxlength: 200, testid: 'rubric-char-name', 'aria-label': `Characteristic ${i + 1}`, placeholder: `Characteristic ${i + 1}`}),
    description: h('input', {type: 'text', testid: 'rubric-char-description', 'aria-label': `What characteristic ${i + 1} means`, placeholder: 'What it looks like in an answer'}),
  }));
  const avoid = h('textarea', {testid: 'rubric-avoid', rows: 3, placeholder: 'One per line: phrases or habits the consultant avoids (scored as violations)'});
  const err = h('div', {testid: 'rubric-error-area'});
  // A rubric kept as JSON ({name, characteristics: [{name, description}], avoid}) fills the form.
  const file = h('input', {type: 'file', accept: '.json,application/json', testid: 'rubric-file', onchange: async () => {
    put(err);
    try {
      const r = JSON.parse(await file.files[0].text());
      name.value = r.name || '';
      rows.forEach((row, i) => { const c = (r.characteristics || [])[i] || {}; row.name.value = c.name || ''; row.description.value = c.description || ''; });
      avoid.value = (r.avoid || []).join('\n');
    } catch (e) { put(err, errorBox({message: `${file.files[0].name} is not a rubric in JSON: ${e.message}`, how_to_fix: 'Use {"name", "characteristics": [{"name", "description"}], "avoid": []}.'}, 'rubric-error')); }
    file.value = '';
  }});
  const save = h('button', {class: 'btn primary', testid: 'rubric-save', onclick: async () => {
    save.disabled = true; put(err);
    const characteristics = rows.filter(r => r.name.value.trim()).map(r => ({name: r.name.value.trim(), description: r.description.value.trim()}));
    try {
      const r = await api('/validation/rubrics', {method: 'POST', json: {name: name.value.trim(), characteristics,
        avoid: avoid.value.split('\n').map(s => s.trim()).filter(Boolean)}});
      toast(`Rubric “${r.name}” uploaded.`); onSaved(r);
    } catch (e) { put(err, errorBox(e, 'rubric-error')); }
    save.disabled = false;
  }}, 'Upload rubric');
  return h('section', {class: 'card', testid: 'rubric-form'}, h('h2', {}, 'Upload a rubric'),
    h('p', {class: 'small muted'}, `Name the ${RUBRIC_SIZE} characteristics of the consultant’s voice that each trained answer is scored on (1–5), or load them from a JSON file.`),
    h('label', {class: 'field'}, 'Load from a JSON file', file), h('label', {class: 'field'}, 'Rubric name', name),
    h('table', {class: 'tbl'}, h('tbody', {}, rows.map((r, i) => h('tr', {}, h('td', {class: 'small'}, i + 1), h('td', {}, r.name), h('td', {}, r.description))))),
    h('label', {class: 'field'}, 'Things to avoid', avoid), err, save);
}

function viewRubrics(main) {
  const v = {alive: true};
  const list = h('div', {testid: 'rubric-list'}, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading rubrics…'));
  put(main, h('div', {class: 'page-head'}, h('div', {}, h('h1', {}, 'Brand-voice rubrics'),
    h('p', {class: 'muted'}, 'What the brand voice suite scores trained answers on. A job uses the one built from the consultant profile unless you pick one on its Validation tab.'))),
  list, rubricForm(() => load()));
  async function load() {
    let rubrics;
    try { rubrics = await api('/validation/rubrics'); } catch (e) { return v.alive && put(list, errorBox(e, 'rubrics-error')); }
    if (!v.alive) return;
    put(list, rubrics.length ? h('div', {class: 'stack'}, rubrics.map(r => h('section', {class: 'card', testid: 'rubric-item', 'data-rubric-id': r.rubric_id},
      h('h2', {style: 'margin:0'}, r.name), h('p', {class: 'small muted'}, `Uploaded ${when(r.created_at)}`), rubricDetails(r, 'rubric-item-details'))))
      : h('div', {class: 'card empty', testid: 'rubrics-empty'}, h('strong', {}, 'No rubrics uploaded yet'), 'Jobs are scored with the rubric built from the consultant profile.'));
  }
  load();
  return {cleanup: () => { v.alive = false; }};
}

// The Validation tab's card: the rubric this job's brand voice is (or will be) scored with.
function rubricCard(ctx) {
  const el = h('section', {class: 'card', testid: 'job-rubric'});
  const source = {uploaded: 'uploaded', consultant_profile: 'built from the consultant profile', generic: 'the generic default'};
  async function load(notice) {
    let current, rubrics;
    try { [current, rubrics] = await Promise.all([api(`/jobs/${ctx.id}/validation/rubric`), api('/validation/rubrics')]); }
    catch (e) { return put(el, h('h2', {}, 'Brand voice rubric'), errorBox(e, 'job-rubric-error')); }
    const pick = h('select', {testid: 'job-rubric-select', style: 'width:auto;max-width:360px'},
      h('option', {value: ''}, 'The default (from the consultant profile)'),
      rubrics.map(r => h('option', {value: r.rubric_id, selected: r.rubric_id === current.rubric_id}, r.name)));
    const err = h('div', {});
    const use = h('button', {class: 'btn small', testid: 'job-rubric-use', onclick: async () => {
      use.disabled = true;
      try {
        const r = await api(`/jobs/${ctx.id}/validation/rubric`, {method: 'PUT', json: {rubric_id: pick.value || null}});
        load(h('p', {class: 'notice ok small', testid: 'job-rubric-saved'}, `Brand voice will be scored with “${r.name}”. Re-run the brand voice suite to rescore answers already made.`));
      } catch (e) { put(err, errorBox(e, 'job-rubric-error')); use.disabled = false; }
    }}, 'Use this rubric');
    put(el, h('h2', {}, 'Brand voice rubric'),
      h('p', {testid: 'job-rubric-current', 'data-source': current.source}, h('strong', {}, current.name), ` · ${source[current.source] || current.source}`),
      rubricDetails(current, 'job-rubric-details'), notice,
      h('div', {class: 'row', style: 'margin-top:8px'}, pick, use, h('a', {class: 'small', href: '#/rubrics'}, 'Upload a rubric →')), err);
  }
  put(el, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading the rubric…'));
  load();
  return el;
}

ROUTES.push(['rubrics', /^#\/rubrics$/, viewRubrics]);
NAV_LINKS.push(['rubrics', 'Rubrics']);
