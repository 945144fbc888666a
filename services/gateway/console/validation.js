'use strict';
// Validation (stage 5, UJ5.2.1–UJ5.2.4): the job page's "Validation" tab, one card per suite,
// with the figures the validation service computed (GET /jobs/{id}/validation); nothing here
// computes a figure of its own. Also `watchValidationLoss`, the completion card's improvement
// (UJ5.1.1). The blind review page is console/review.js.
const VALIDATION_SUITES = [
  ['perplexity', 'Perplexity', 'UJ5.2.1: how well each model predicts the held-out replies (lower is better).'],
  ['emotional_intelligence', 'Emotional intelligence', 'UJ5.2.2: empathy, clarity and appropriateness, scored 1–5.'],
  ['knowledge_retention', 'Knowledge retention', 'UJ5.2.3: financial multiple-choice questions, base against trained.'],
  ['brand_voice', 'Brand voice', 'UJ5.2.4: the trained answers scored on 10 characteristics of the consultant’s voice.'],
];
const VAL_COLOURS = {base: '#9aa4ae', trained: '#0b5cad'};
const VAL_DONE = new Set(['completed', 'failed', 'partial']);
const fixed = (x, n = 2) => x == null ? '—' : Number(x).toFixed(n);
const signedPct = x => x == null ? '—' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(Number(x)).toFixed(1)}%`;

document.head.append(h('style', {}, `
.val-head{display:flex;justify-content:space-between;align-items:flex-start;gap:12px;flex-wrap:wrap;margin-bottom:8px}
.val-head h2{margin:0}.val-figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:12px 0}
.val-figs .stat .v{font-size:20px}.val-pair{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:8px}
.val-pair>div{background:var(--soft);border-radius:8px;padding:10px 12px;font-size:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.val-pair h4,.val-ex h4{margin:0 0 4px;font-size:12.5px;color:var(--muted)}.val-ex{border-top:1px solid var(--line);padding-top:12px;margin-top:12px}
.val-ex .msg{font-size:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.val-signals{border:1px dashed var(--line);border-radius:8px;padding:10px 12px;margin-top:12px;font-size:13.5px}
.val-gate{font-size:18px;font-weight:700}.val-gate.Passed{color:var(--ok)}.val-gate.Warning{color:var(--warn)}.val-gate.Failed{color:var(--err)}
.val-chart{max-width:760px}.val-radar{max-width:740px}.val-chart svg{width:100%;height:auto;display:block}
@media (max-width:760px){.val-pair{grid-template-columns:1fr}}`));

function valBadge(text, testid) {
  const good = /production ready|exceptional|strong|passed/i, fair = /acceptable|moderate|warning/i;
  const level = good.test(text || '') ? 'High' : fair.test(text || '') ? 'Medium' : 'Low';
  return text ? h('span', {class: `badge ${level}`, testid}, text) : null;
}
function valChip(status) {
  const cls = {completed: 'completed', failed: 'failed', measuring: 'live', scoring: 'live', awaiting_review: 'live'}[status] || '';
  return h('span', {class: `chip ${cls}`, testid: 'suite-status', 'data-status': status}, label(status || 'pending'));
}
function valStat(name, value, testid) {
  return h('div', {class: 'stat'}, h('div', {class: 'v', testid}, value), h('div', {class: 'l'}, name));
}
// The API's suites, in the spec's order, whether it sends a list or an object keyed by suite.
function validationSuites(view) {
  const s = (view && view.suites) || [];
  const list = Array.isArray(s) ? s : Object.entries(s).map(([suite, x]) => ({suite, ...x}));
  return Object.fromEntries(list.map(x => [x.suite, x]));
}

// -- charts: inline SVG with colours as attributes, so they print and export the same
function groupedBars(groups, max, fmt, testid) {  // groups: [{label, base, trained}], two bars each
  const W = 760, left = 140, right = 80, bar = 14, gap = 3, step = 2 * bar + gap + 16, top = 24;
  const H = top + groups.length * step, scale = x => Math.max(1, (W - left - right) * Math.max(0, x) / (max || 1));
  const legend = [['Base model', VAL_COLOURS.base], ['Trained', VAL_COLOURS.trained]].map(([t, c], i) =>
    [svg('rect', {x: left + i * 120, y: 4, width: 12, height: 12, rx: 2, fill: c}), svg('text', {x: left + i * 120 + 18, y: 14, 'font-size': 12, fill: '#57606a'}, t)]);
  const rows = groups.map((g, i) => {
    const y = top + i * step;
    const one = (v, dy, c, key) => v == null ? null : [svg('rect', {x: left, y: y + dy, width: scale(v), height: bar, rx: 3, fill: c}),
      svg('text', {x: left + scale(v) + 6, y: y + dy + bar - 3, 'font-size': 12, fill: '#1b1f24', 'data-testid': `${testid}-${key}`}, fmt(v))];
    return [svg('text', {x: left - 8, y: y + bar + 2, 'text-anchor': 'end', 'font-size': 13, fill: '#1b1f24'}, g.label),
      one(g.base, 0, VAL_COLOURS.base, `${g.key}-base`), one(g.trained, bar + gap, VAL_COLOURS.trained, `${g.key}-trained`)];
  });
  return h('div', {class: 'val-chart', testid}, svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Base model against trained'}, legend, rows));
}
function radarChart(chars) {  // chars: [{name, score}], scores 1–5
  const W = 740, H = 380, cx = W / 2, cy = H / 2 + 4, R = 130, n = chars.length || 1;
  const at = (i, r) => [cx + r * Math.sin(2 * Math.PI * i / n), cy - r * Math.cos(2 * Math.PI * i / n)];
  const ring = k => svg('polygon', {points: chars.map((_, i) => at(i, R * k / 5).join(',')).join(' '), fill: 'none', stroke: '#d8dee4'});
  const spokes = chars.map((_, i) => svg('line', {x1: cx, y1: cy, x2: at(i, R)[0], y2: at(i, R)[1], stroke: '#d8dee4'}));
  const shape = svg('polygon', {points: chars.map((c, i) => at(i, R * Math.max(0, c.score || 0) / 5).join(',')).join(' '),
    fill: 'rgba(11,92,173,.18)', stroke: VAL_COLOURS.trained, 'stroke-width': 2});
  const labels = chars.map((c, i) => {
    const [x, y] = at(i, R + 16), anchor = Math.abs(x - cx) < 8 ? 'middle' : x > cx ? 'start' : 'end';
    const name = c.name.length > 30 ? c.name.slice(0, 29) + '…' : c.name;
    return svg('text', {x, y: y + 4, 'text-anchor': anchor, 'font-size': 11.5, fill: c.flagged ? '#c3222f' : '#1b1f24'},
      svg('title', {}, `${c.name}: ${fixed(c.score, 1)}/5`), `${name} ${fixed(c.score, 1)}`);
  });
  return h('div', {class: 'val-chart val-radar', testid: 'brand-radar'},
    svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Brand voice per characteristic, 1–5'}, [1, 2, 3, 4, 5].map(ring), spokes, shape, labels));
}

// -- one card per suite
function suiteFigures(name, s, ctx) {
  const f = s.figures;
  if (s.status === 'failed') return h('div', {class: 'notice err', testid: 'suite-failed'}, h('strong', {}, 'Unable to calculate'),
    h('p', {class: 'fix'}, s.message || s.headline || 'The suite did not produce a result.'), h('p', {class: 'small'}, 'Re-run it with the button above.'));
  const waiting = s.status === 'awaiting_review' && h('div', {class: 'notice info', testid: 'awaiting-review'},
    h('strong', {}, `Awaiting review — ${int(Math.max(0, (s.total || 0) - (s.scored || 0)))} scenarios at `),
    h('a', {href: `#/review/${ctx.id}`, testid: 'review-link'}, `${location.origin}/#/review/${ctx.id}`),
    h('p', {class: 'small'}, name === 'brand_voice' ? 'Reviewers score each trained answer on the rubric’s characteristics; the figures are computed when all are reviewed.' :
      'Reviewers see each scenario’s two answers as A and B, in random order; the scores are computed when all are reviewed.'));
  if (!f) return waiting || [h('p', {class: 'muted small'}, s.message || (VAL_DONE.has(s.status) ? 'No figures.' : `${label(s.status || 'pending')}…`))];
  const body = {perplexity: perplexityFigures, emotional_intelligence: eiFigures, knowledge_retention: retentionFigures, brand_voice: brandFigures}[name](f);
  return [waiting, f.partial && h('div', {class: 'notice warn', testid: 'suite-partial'}, `${label(f.partial)}. The figures cover the scored scenarios; a re-run retries the others.`), body];
}
function perplexityFigures(f) {
  return [h('div', {class: 'val-figs'},
      valStat('Base model perplexity', fixed(f.base_perplexity), 'ppl-base'),
      valStat('Trained perplexity', fixed(f.trained_perplexity), 'ppl-trained'),
      valStat('Improvement', `${fixed(f.improvement_pct, 1)}%`, 'ppl-improvement')),
    groupedBars([{key: 'ppl', label: 'Perplexity', base: f.base_perplexity, trained: f.trained_perplexity}],
      Math.max(f.base_perplexity, f.trained_perplexity), x => fixed(x), 'ppl-bars'),
    h('p', {testid: 'ppl-interpretation'}, f.interpretation),
    h('p', {class: 'small muted'}, `Measured on ${int(f.examples)} held-out examples (${int(f.target_tokens)} reply tokens), the same for both models.`)];
}
function eiFigures(f) {
  const o = f.overall || {}, sig = f.signals || {};
  const groups = [{key: 'overall', label: 'Overall', base: o.base, trained: o.trained},
    ...(f.dimensions || []).map(d => ({key: d.dimension, label: label(d.dimension), base: d.base, trained: d.trained}))];
  const pair = (t, b) => `${t} base · ${b} trained`;
  return [h('div', {class: 'val-figs'},
      valStat('Overall EI score', `${fixed(o.base, 1)}/5 → ${fixed(o.trained, 1)}/5`, 'ei-overall'),
      valStat('Improvement', signedPct(o.improvement_pct), 'ei-improvement'),
      valStat('Scenarios scored', `${int(f.scored)} of ${int(f.total)}`, 'ei-scored')),
    groupedBars(groups, 5, x => fixed(x, 1), 'ei-bars'),
    h('table', {class: 'tbl', testid: 'ei-dimensions'}, h('tbody', {}, (f.dimensions || []).map(d => h('tr', {},
      h('td', {}, label(d.dimension)), h('td', {}, `${fixed(d.base, 1)} → ${fixed(d.trained, 1)}`), h('td', {}, `${signedPct(d.improvement_pct)} improvement`))))),
    (f.examples || []).length > 0 && h('div', {testid: 'ei-examples'}, h('h3', {}, 'Example answers'), f.examples.map(ex => h('div', {class: 'val-ex', testid: 'ei-example'},
      h('h4', {}, 'Client'), h('div', {class: 'msg'}, ex.user_input),
      h('div', {class: 'val-pair'},
        h('div', {}, h('h4', {}, `Base model${ex.base_overall != null ? ` · ${fixed(ex.base_overall, 1)}/5` : ''}`), ex.base_answer || '—'),
        h('div', {}, h('h4', {}, `Trained${ex.trained_overall != null ? ` · ${fixed(ex.trained_overall, 1)}/5` : ''}`), ex.trained_answer))))),
    h('div', {class: 'val-signals', testid: 'ei-signals'}, h('strong', {}, sig.label || 'Judge-free signals (not the EI score)'),
      h('p', {class: 'small muted'}, 'Measured without a judge or reviewer, beside the EI score and never as it.'),
      h('ul', {class: 'small', style: 'margin:0;padding-left:18px'},
        h('li', {}, 'Expert reply log-loss per token: ', pair(fixed(sig.base_reference_nll, 3), fixed(sig.trained_reference_nll, 3)), ' (lower: closer to the expert)'),
        h('li', {}, 'chrF similarity to the expert reply: ', pair(fixed(sig.base_chrf, 1), fixed(sig.trained_chrf, 1))),
        h('li', {}, 'Mean answer length in tokens: ', pair(fixed(sig.base_answer_tokens, 0), fixed(sig.trained_answer_tokens, 0)))))];
}
function retentionFigures(f) {
  const gate = {Passed: '✓ Passed', Warning: '⚠ Warning', Failed: '✗ Failed'}[f.verdict] || f.verdict;
  const regressed = f.regressed || [];
  return [h('div', {class: 'val-figs'},
      valStat('Base model accuracy', f.base_accuracy_pct == null ? '—' : `${fixed(f.base_accuracy_pct, 1)}%`, 'ret-base'),
      valStat('Trained accuracy', f.trained_accuracy_pct == null ? '—' : `${fixed(f.trained_accuracy_pct, 1)}%`, 'ret-trained'),
      valStat('Retention', f.retention_pct == null ? '—' : `${fixed(f.retention_pct, 1)}%`, 'ret-retention')),
    h('p', {}, h('span', {class: `val-gate ${f.verdict}`, testid: 'ret-gate'}, gate),
      h('span', {class: 'small muted'}, ` · ${int(f.questions)} questions (set ${f.questions_version || '—'}); ≥95% passes, 90–94% warns, under 90% fails.`)),
    regressed.length === 0 ? h('p', {class: 'small', testid: 'ret-regressed'}, 'No question the base model answered right was lost.') :
      h('details', {testid: 'ret-regressed'}, h('summary', {}, `${regressed.length} regressed question${regressed.length > 1 ? 's' : ''}`),
        h('table', {class: 'tbl'}, h('thead', {}, h('tr', {}, h('th', {}, 'Question'), h('th', {}, 'Topic'), h('th', {}, 'Right answer'), h('th', {}, 'Trained chose'))),
          h('tbody', {}, regressed.map(q => h('tr', {}, h('td', {}, q.id), h('td', {}, label(q.topic)),
            h('td', {}, String.fromCharCode(65 + q.answer)), h('td', {}, String.fromCharCode(65 + q.trained_choice)))))))];
}
function brandFigures(f) {
  const chars = f.characteristics || [], violations = Object.entries(f.violations || {}).filter(([, n]) => n > 0);
  return [h('div', {class: 'val-figs'},
      valStat('Overall consistency', `${fixed(f.overall, 1)}/5`, 'brand-overall'),
      valStat('Brand alignment', `${fixed(f.alignment_pct, 0)}%`, 'brand-alignment'),
      valStat('Answers scored', `${int(f.scored)} of ${int(f.total)}`, 'brand-scored')),
    chars.length > 0 && radarChart(chars),
    (f.flagged || []).length > 0 && h('div', {class: 'notice warn', testid: 'brand-flagged'}, h('strong', {}, 'Below 3/5: '), f.flagged.join(', ')),
    violations.length > 0 && h('p', {class: 'small', testid: 'brand-violations'}, 'Things the consultant avoids, found in answers: ',
      violations.map(([a, n]) => `${a} (${n})`).join(' · ')),
    h('table', {class: 'tbl', testid: 'brand-characteristics'}, h('tbody', {}, chars.map(c => h('tr', {},
      h('td', {style: 'width:35%'}, c.flagged ? h('strong', {style: 'color:var(--err)'}, c.name) : c.name), h('td', {style: 'white-space:nowrap'}, `${fixed(c.score, 1)}/5`),
      h('td', {}, c.example ? h('details', {}, h('summary', {class: 'small'}, 'Example answer'),
        h('p', {class: 'small muted'}, c.example.user_input), h('p', {class: 'small', style: 'white-space:pre-wrap'}, c.example.trained_answer)) : '')))))];
}

// -- the tab: loads the view, re-runs suites, follows the job's frames and polls while running
function validationTab(pane, ctx) {
  if (pane._validation) return pane._validation.refresh();
  const st = {view: null, error: null, busy: new Set(), notice: null, job: ctx.job, live: false};
  // The API's `regenerate`: EI and brand voice answer again with the model on a machine,
  // instead of being rescored from the answers stored (kept across renders).
  const regenerate = h('input', {type: 'checkbox', testid: 'rerun-regenerate'});
  const body = h('div', {class: 'stack'});
  put(pane, body, typeof rubricCard === 'function' && rubricCard(ctx));  // console/rubrics.js
  const refreshSoon = debounce(() => refresh(), 400);
  // The service pushes validation_* frames to the job's socket; polling covers its absence.
  const socket = new LiveSocket(`/jobs/${ctx.id}/live`, f => {
    if (/^(validation|suite|status|completed|failed)/.test(f.type || '')) refreshSoon();
  }, state => {
    const was = st.live;
    st.live = state === 'live';
    if (st.live && !was && st.view) refreshSoon();  // (re)connected: fill whatever the gap swallowed
  });
  const timer = setInterval(() => {
    if (!ctx.alive()) { clearInterval(timer); socket.stop(); return; }
    if (!pane.hidden && running() && !st.live) refresh();
  }, 3000);
  pane._validation = {refresh};
  refresh();

  function running() {
    if (!st.view || st.view.status === 'not_started') return !TERMINAL.has(st.job.status);
    const s = Object.values(validationSuites(st.view));
    return !VAL_DONE.has(st.view.status) || s.some(x => !VAL_DONE.has(x.status));
  }
  async function refresh() {
    try { st.view = await api(`/jobs/${ctx.id}/validation`); st.error = null; }
    catch (e) { st.view = null; st.error = e; }
    // Not started: the job's status says whether it will (after training) or needs a re-run.
    if (!st.view || st.view.status === 'not_started') st.job = await api(`/jobs/${ctx.id}`).catch(() => st.job);
    if (ctx.alive()) render();
  }
  async function rerun(suites) {
    suites.forEach(s => st.busy.add(s)); st.notice = null; render();
    try {
      const a = await api(`/jobs/${ctx.id}/validation/rerun`, {method: 'POST', json: {suites, regenerate: regenerate.checked}});
      toast(['Re-run requested.', a.rescoring.length && `Rescoring from the stored answers: ${a.rescoring.map(s => label(s)).join(', ')}.`,
        a.measuring.length && `Measuring again with the model: ${a.measuring.map(s => label(s)).join(', ')}.`].filter(Boolean).join(' '));
    } catch (e) { st.notice = errorBox(e, 'rerun-error'); }
    suites.forEach(s => st.busy.delete(s));
    await refresh();
  }
  function render() {
    if (!st.view) {
      const missing = st.error && st.error.status === 404;
      return put(body, h('section', {class: 'card', testid: 'validation-empty'}, h('h2', {}, 'Validation'),
        missing && !TERMINAL.has(st.job.status) ? h('p', {}, 'The four suites run after training, on the same machine, before it is released: perplexity, emotional intelligence, knowledge retention and brand voice.') :
          missing ? [h('p', {}, 'This job has no validation results.'), h('button', {class: 'btn primary', testid: 'rerun-all', onclick: () => rerun(VALIDATION_SUITES.map(([k]) => k))}, 'Run validation')] :
            st.error ? errorBox(st.error, 'validation-error') : h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading…'), st.notice));
    }
    const vw = st.view, suites = validationSuites(vw), judge = vw.judge || {}, rv = vw.review || {};
    if (vw.status === 'not_started') return put(body, h('section', {class: 'card', testid: 'validation-empty'}, h('h2', {}, 'Validation'),
      !TERMINAL.has(st.job.status) ? h('p', {}, 'The four suites run after training, on the same machine, before it is released: perplexity, emotional intelligence, knowledge retention and brand voice.') :
        [h('p', {}, 'This job has no validation results.'), h('button', {class: 'btn primary', testid: 'rerun-all', onclick: () => rerun(VALIDATION_SUITES.map(([k]) => k))}, 'Run validation')], st.notice));
    const scorer = vw.scorer === 'judge' ? `Scored by the LLM judge${judge.model ? ` ${judge.model}` : ''}${judge.calls ? ` (${int(judge.calls)} calls)` : ''}` :
      vw.scorer === 'review' ? `Scored by blind human review${rv.total ? `: ${int(rv.total - rv.open)} of ${int(rv.total)} items reviewed` : ''}` : '';
    put(body, h('section', {class: 'card', testid: 'validation-summary'},
        h('div', {class: 'val-head'}, h('h2', {}, 'Validation'), valChip(vw.status)),
        h('p', {class: 'small muted'}, [vw.run && `Run ${vw.run}`, scorer, vw.message].filter(Boolean).join(' · ')),
        h('label', {class: 'row small', style: 'gap:6px;cursor:pointer'}, regenerate,
          'On re-run, answer again with the model (emotional intelligence and brand voice are otherwise rescored from their stored answers; answering again starts a machine)'), st.notice),
      VALIDATION_SUITES.map(([key, title, what]) => {
        const s = suites[key] || {suite: key, status: 'pending'};
        return h('section', {class: 'card', testid: `suite-${key}`, 'data-status': s.status},
          h('div', {class: 'val-head'}, h('div', {}, h('h2', {}, title), h('p', {class: 'small muted', style: 'margin:2px 0 0'}, what)),
            h('div', {class: 'row'}, valBadge(s.badge, 'suite-badge'), valChip(s.status),
              h('button', {class: 'btn small', testid: 'suite-rerun', disabled: st.busy.has(key) || ['measuring', 'scoring'].includes(s.status),
                onclick: () => rerun([key])}, st.busy.has(key) ? 'Requesting…' : 'Re-run'))),
          s.figures && s.headline && h('p', {testid: 'suite-headline'}, h('strong', {}, s.headline)),
          suiteFigures(key, s, ctx));
      }));
  }
}
JOB_TABS.push({key: 'validation', title: 'Validation', show: validationTab});

// UJ5.1.1: "Improvement" on the completion card is the held-out loss, base model against trained
// (the perplexity suite), not two noisy training losses. Polls until the suite has a result.
function watchValidationLoss(id, alive, onChange) {
  const check = async () => {
    if (!alive()) return;
    let result = {text: 'not measured yet', done: false};
    try {
      const s = validationSuites(await api(`/jobs/${id}/validation`)).perplexity || {}, f = s.figures;
      if (f && f.base_perplexity > 0 && f.trained_perplexity > 0) {
        // Perplexity is exp(mean loss): the loss is its log where the figures do not carry it.
        const base = f.base_loss ?? Math.log(f.base_perplexity), trained = f.trained_loss ?? Math.log(f.trained_perplexity);
        const drop = 100 * (base - trained) / base;
        result = {done: true, text: `${Math.abs(drop).toFixed(1)}% ${drop >= 0 ? 'lower' : 'higher'} validation loss than the base model (${loss(base)} → ${loss(trained)})`};
      } else if (s.status === 'failed') result = {done: true, text: 'not measured: the perplexity suite failed (re-run it on the Validation tab)'};
    } catch { /* not started yet, or the gateway is briefly away: try again */ }
    if (!alive()) return;
    onChange(result);
    if (!result.done) setTimeout(check, 5000);
  };
  check();
  return true;
}

// The configure page's choice of suites (POST /jobs `validation`): all four unless unticked;
// none turns validation off. The service's defaults (scenario counts, tokens) stand.
function validationPlanField(onChange) {
  const boxes = VALIDATION_SUITES.map(([key, title]) => h('input', {type: 'checkbox', checked: true, value: key, 'aria-label': title,
    testid: `plan-suite-${key}`, onchange: () => onChange()}));
  const chosen = () => boxes.filter(b => b.checked).map(b => b.value);
  const el = h('details', {testid: 'validation-plan', style: 'margin-top:12px'}, h('summary', {}, 'Validation after training'),
    h('p', {class: 'small muted', style: 'margin-top:8px'}, 'The suites measured on the training machine after training, base model against trained, before it is released. Each one adds time on that machine; untick all to skip validation (it can be run later from the job’s Validation tab).'),
    VALIDATION_SUITES.map(([, title, what], i) => h('label', {class: 'row small', style: 'gap:6px;cursor:pointer'}, boxes[i], h('strong', {}, title), ` — ${what}`)));
  return {
    el,
    body: () => chosen().length === boxes.length ? undefined : {suites: chosen()},  // undefined: the service's default, all four
    summary: () => { const c = chosen(); return c.length === boxes.length ? 'All four suites' : c.length ? c.map(s => label(s)).join(', ') : 'Off'; },
  };
}
