'use strict';
// Blind review (UJ5.2.2, UJ5.2.4), route #/review/<job id>: one item at a time, leased to the
// reviewer by name so several people share the work. The page gets the answers only under the
// letters "A" and "B" (which model wrote which stays on the server) and sends scores back under
// the same letters. It reads nothing else about the job, so nothing else can give the order away.
const REVIEW_API = {
  next: (id, reviewer) => `/jobs/${id}/validation/review/next?reviewer=${encodeURIComponent(reviewer)}`,
  submit: (id, item) => `/jobs/${id}/validation/review/${item}`,
};
const REVIEWER_KEY = 'brightrun.reviewer';

document.head.append(h('style', {}, `
.rv-answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px;margin-top:16px}
.rv-answer{border:1px solid var(--line);border-radius:var(--radius);padding:16px;background:#fff}
.rv-answer h3{margin:0 0 8px;font-size:16px;color:var(--text);text-transform:none;letter-spacing:0}
.rv-text{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);border-radius:8px;padding:10px 12px;font-size:14.5px;max-height:320px;overflow:auto}
.rv-turn{font-size:14px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}.rv-turn b{color:var(--muted);font-weight:600}
.rv-scale{display:grid;grid-template-columns:minmax(120px,1fr) auto;gap:6px 12px;align-items:center;margin-top:12px;font-size:14px}
.rv-scale fieldset{border:0;margin:0;padding:0;display:flex;gap:4px}
.rv-scale label{display:inline-flex;align-items:center;justify-content:center;width:34px;height:30px;border:1px solid var(--line);border-radius:6px;cursor:pointer;font-weight:600}
.rv-scale input{position:absolute;opacity:0;width:1px;height:1px}
.rv-scale label:has(input:checked){background:var(--accent);border-color:var(--accent);color:#fff}
.rv-scale label:has(input:focus-visible){outline:3px solid #7fb0e8}`));

function viewReview(main, match) {
  const id = match[1], st = {alive: true, reviewer: localStorage.getItem(REVIEWER_KEY) || '', data: null, error: null, saving: false, saved: 0};
  const body = h('div', {class: 'stack', testid: 'review-body'});
  put(main, h('p', {class: 'small'}, h('a', {href: `#/jobs/${id}`}, '← Back to the job')),
    h('div', {class: 'page-head', testid: 'review-view'}, h('div', {},
      h('h1', {}, 'Blind review'),
      h('p', {class: 'muted'}, 'Each item shows a client’s message and the answers, labelled A and B in a random order. ' +
        'Score every answer from 1 (poor) to 5 (excellent) on each criterion. Saved items count at once; colleagues can review the same job alongside you.'))),
    body);
  st.reviewer ? loadNext() : askName();
  return {cleanup: () => { st.alive = false; }};

  function askName() {
    const input = h('input', {type: 'text', testid: 'reviewer-name', maxlength: 120, value: st.reviewer, autocomplete: 'name'});
    const start = ev => {
      ev.preventDefault();
      const name = input.value.trim();
      if (!name) return input.focus();
      st.reviewer = name; localStorage.setItem(REVIEWER_KEY, name);
      loadNext();
    };
    put(body, h('form', {class: 'card', testid: 'reviewer-form', onsubmit: start},
      h('label', {class: 'field'}, 'Your name', h('span', {class: 'hint'}, ' (so colleagues get different items; kept in this browser)'), input),
      h('button', {class: 'btn primary', type: 'submit', testid: 'reviewer-start'}, 'Start reviewing')));
    input.focus();
  }
  async function loadNext() {
    put(body, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading the next item…'));
    try { st.data = await api(REVIEW_API.next(id, st.reviewer)); st.error = null; }
    catch (e) { st.data = null; st.error = e; }
    if (st.alive) render();
  }
  function whoLine() {
    return h('p', {class: 'small muted', testid: 'reviewer-line'}, 'Reviewing as ', h('strong', {}, st.reviewer), ' · ',
      h('a', {href: '#', onclick: e => { e.preventDefault(); askName(); }}, 'change'));
  }
  function progressBar(p) {
    const total = p.total || 0, scored = Math.min(p.scored || 0, total), percent = total ? 100 * scored / total : 0;
    return h('div', {testid: 'review-progress', 'data-scored': scored, 'data-total': total},
      h('div', {class: 'row', style: 'justify-content:space-between'}, h('strong', {}, `${int(scored)} of ${int(total)} scored`)),
      h('div', {class: `progress ${scored >= total && total ? 'done' : ''}`, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': scored},
        h('span', {style: `width:${percent}%`})));
  }
  function render() {
    if (st.error) return put(body, whoLine(), errorBox(st.error, 'review-error'), h('button', {class: 'btn', onclick: loadNext}, 'Try again'));
    const {item, progress = {}, message} = st.data || {};
    if (!item) {
      // The count covers suites still awaiting review: the last save completes them, and it drops to 0.
      const done = progress.total > 0 ? progress.scored >= progress.total : st.saved > 0;
      return put(body, whoLine(), h('section', {class: 'card', testid: done ? 'review-done' : 'review-idle'},
        progress.total > 0 && progressBar(progress),
        h('h2', {style: 'margin-top:12px'}, done ? '✓ All items are scored' : 'No item for you right now'),
        h('p', {}, done ? `Thank you: you scored ${int(st.saved)} item${st.saved === 1 ? '' : 's'} here. The results are on the job’s Validation tab.` :
          message || 'Nothing waits for review.'),
        h('div', {class: 'row'}, h('a', {class: 'btn primary', href: `#/jobs/${id}`}, 'Open the job'),
          !done && h('button', {class: 'btn', testid: 'review-check-again', onclick: loadNext}, 'Check again'))));
    }
    put(body, whoLine(), h('section', {class: 'card'}, progressBar(progress)), itemCard(item));
  }
  function itemCard(item) {
    const sc = item.scenario || {}, letters = Object.keys(item.answers || {}).sort(), err = h('div', {});
    const criteria = item.score_on || [], avoid = item.avoid || [];
    const [lo, hi] = item.scale || [1, 5], points = Array.from({length: hi - lo + 1}, (_, i) => lo + i);
    const chosen = Object.fromEntries(letters.map(l => [l, {scores: {}, violations: []}]));
    const save = h('button', {class: 'btn primary', testid: 'review-save', disabled: true, onclick: submit}, 'Save and next');
    const complete = () => letters.every(l => criteria.every(c => chosen[l].scores[c] != null));
    const name = c => /^[a-z_]+$/.test(c) ? label(c) : c;  // EI dimensions are keys; rubric names are prose
    const scale = letter => h('div', {class: 'rv-scale'}, criteria.map((c, ci) => [
      h('span', {}, name(c)),
      h('fieldset', {'aria-label': `${name(c)}, answer ${letter}`}, points.map(n => h('label', {title: `${n} of ${hi}`},
        h('input', {type: 'radio', name: `rv-${letter}-${ci}`, value: n, testid: `score-${letter}-${ci}-${n}`, 'data-criterion': c,
          onchange: () => { chosen[letter].scores[c] = n; save.disabled = !complete() || st.saving; }}), String(n))))]));
    const flags = letter => avoid.length > 0 && h('details', {style: 'margin-top:12px'}, h('summary', {class: 'small'}, 'Does it do anything the consultant avoids?'),
      h('div', {class: 'checks'}, avoid.map((a, ai) => h('label', {}, h('input', {type: 'checkbox', testid: `violation-${letter}-${ai}`, onchange: e => {
        const list = chosen[letter].violations;
        e.target.checked ? list.push(a) : list.splice(list.indexOf(a), 1);
      }}), a))));
    async function submit() {
      st.saving = true; save.disabled = true; put(err);
      try {
        await api(REVIEW_API.submit(id, item.item_id), {method: 'POST', json: {reviewer: st.reviewer, answers: chosen}});
        st.saved += 1;
        await loadNext();
      } catch (e) {
        if (e.status === 409) { toast(e.message); await loadNext(); } else put(err, errorBox(e, 'review-save-error'));
      } finally { st.saving = false; save.disabled = !complete(); }
    }
    return h('section', {class: 'card', testid: 'review-item', 'data-item-id': item.item_id},
      h('h2', {}, item.suite === 'brand_voice' ? 'How well does this answer match the consultant’s voice?' : 'Which answer serves the client better?'),
      sc.system_prompt && h('details', {}, h('summary', {class: 'small'}, 'Context given to the assistant'), h('p', {class: 'rv-turn'}, sc.system_prompt)),
      (sc.history || []).length > 0 && h('div', {testid: 'review-history'}, h('h3', {}, 'Earlier in the conversation'),
        sc.history.map(t => h('p', {class: 'rv-turn'}, h('b', {}, t.role === 'user' ? 'Client: ' : 'Consultant: '), t.content))),
      h('h3', {}, 'The client’s message'), h('div', {class: 'rv-text', testid: 'review-message'}, sc.user_input),
      h('div', {class: 'rv-answers'}, letters.map(l => h('div', {class: 'rv-answer', testid: `review-answer-${l}`},
        h('h3', {}, `Answer ${l}`), h('div', {class: 'rv-text', testid: `review-answer-${l}-text`}, item.answers[l] || ''),
        !(item.answers[l] || '').trim() && h('p', {class: 'small muted'}, 'This answer is empty: score it as it stands.'), scale(l), flags(l)))),
      err, h('div', {class: 'row', style: 'margin-top:16px;justify-content:flex-end'}, save));
  }
}
ROUTES.push(['jobs', /^#\/review\/([0-9a-f-]{36})$/, viewReview]);
