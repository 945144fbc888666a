'use strict';
// Training sets (issue 17): a "Combine with other files" control on a training file's page.
// A 48-conversation export is short of the 50 a job needs; combined with other uploads in a
// training set, its statistics and eligibility are computed on the combination (each
// conversation counted once, repeats listed) by the jobs service (POST /api/v1/training-sets).
// A set trains through its combined file, whose page is the usual configure page.

function combineControl(f) {
  const short = (f.eligibility.problems || []).some(p => p.code === 'too_few_conversations');
  const area = h('div', {testid: 'combine-area'});
  const open = h('button', {class: short ? 'btn primary' : 'btn', testid: 'combine-open', onclick: () => { open.remove(); showPicker(f, area); }},
    'Combine with other files');
  return h('section', {class: 'card', testid: 'combine-files', 'data-short': String(short)},
    h('h3', {style: 'margin-top:0'}, 'Combine with other files'),
    h('p', {class: 'small muted'}, short
      ? 'Too few conversations on its own: combine this file with your other uploads into one training set. Conversations found in more than one file count once.'
      : 'Train on this file together with other uploads as one training set. Conversations found in more than one file count once.'),
    open, area, existingSets(f));
}

// The sets this file is in, or the set it was combined into (GET /training-sets), each opening
// its figures as the jobs service has them now (GET /training-sets/{id}).
function existingSets(f) {
  const el = h('div', {testid: 'training-sets-with-file'});
  (async () => {
    let sets;
    try { sets = await api('/training-sets'); } catch (err) { return put(el, errorBox(err, 'training-sets-error')); }
    const mine = sets.filter(s => s.training_file_id === f.id || s.files.some(m => m.training_file_id === f.id));
    if (!mine.length) return;
    const shown = h('div', {testid: 'training-set-shown'});
    put(el, h('h4', {style: 'margin:12px 0 4px'}, mine.some(s => s.training_file_id === f.id) ? 'This file is a training set' : 'Training sets with this file'),
      h('ul', {class: 'small'}, mine.map(s => h('li', {testid: 'training-set-row', 'data-set-id': s.id},
        h('strong', {}, s.name), ` · ${s.conversation_count.toLocaleString()} conversations from ${s.files.map(m => m.name).join(', ')} · ${when(s.created_at)} `,
        h('button', {class: 'btn small', testid: 'training-set-open', onclick: async () => {
          try { put(shown, setSummary(await api(`/training-sets/${s.id}`))); } catch (err) { put(shown, errorBox(err, 'training-sets-error')); }
        }}, 'Details')))), shown);
  })();
  return el;
}

async function showPicker(f, area) {
  put(area, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading your training files…'));
  let files;
  try { files = (await api('/training-files')).filter(o => o.id !== f.id); }
  catch (err) { return put(area, errorBox(err, 'combine-error')); }
  if (!files.length) return put(area, h('p', {class: 'muted', testid: 'combine-none'}, 'No other training files yet: upload another export first.'));
  const chosen = new Set();
  const total = h('p', {class: 'small', testid: 'combine-total'});
  const name = h('input', {type: 'text', maxlength: 200, testid: 'combine-name', value: `${f.name} (combined)`});
  const err = h('div', {testid: 'combine-error-area'});
  const result = h('div', {testid: 'combine-result-area'});
  const create = h('button', {class: 'btn primary', testid: 'combine-create', disabled: true, onclick: async () => {
    create.disabled = true; put(err);
    try {
      const set = await api('/training-sets', {method: 'POST', json: {name: name.value, training_file_ids: [f.id, ...chosen]}});
      toast(`Training set “${set.name}” created.`);
      put(result, setSummary(set));
    } catch (e) { put(err, errorBox(e, 'combine-error')); }
    create.disabled = chosen.size === 0;
  }}, 'Create training set');
  const refresh = () => {
    const sum = files.filter(o => chosen.has(o.id)).reduce((n, o) => n + (o.conversation_count || 0), f.conversation_count || 0);
    total.textContent = `${chosen.size + 1} files, up to ${sum.toLocaleString()} conversations (repeats are counted once).`;
    create.disabled = chosen.size === 0;
  };
  const rows = files.map(o => h('label', {class: 'row small', testid: 'combine-file', 'data-file-id': o.id},
    h('input', {type: 'checkbox', onchange: e => { e.target.checked ? chosen.add(o.id) : chosen.delete(o.id); refresh(); }}),
    ` ${o.name} · ${(o.conversation_count || 0).toLocaleString()} conversations · ${label(o.format)}`));
  refresh();
  put(area, h('div', {class: 'stack'}, h('div', {role: 'list'}, rows), total, h('label', {class: 'field'}, 'Training set name', name), err, create, result));
}

function setSummary(set) {
  const dups = set.duplicates || [];
  return h('div', {testid: 'training-set', 'data-set-id': set.id, class: 'stack'},
    h('p', {}, h('strong', {}, set.name), ` · ${set.conversation_count.toLocaleString()} conversations from ${set.files.length} files`,
      dups.length ? ` · ${dups.length} repeated conversation${dups.length === 1 ? '' : 's'} counted once` : ''),
    dups.length > 0 && h('details', {testid: 'training-set-duplicates'}, h('summary', {}, 'Which conversations repeat'),
      h('ul', {class: 'small'}, dups.map(d => h('li', {}, `${d.conversation_id} (conversation ${d.position} of ${d.file_name}) repeats `,
        d.by === 'id' ? 'the id' : 'the turns', ` of ${d.same_as} in ${d.kept_in_file_name}`)))),
    eligibilityBlock(set.eligibility),
    set.eligibility.eligible && h('a', {class: 'btn primary', testid: 'training-set-configure', href: `#/configure/${set.training_file_id}`},
      'Configure a training job with this set →'));
}

FILE_PANELS.push(combineControl);
