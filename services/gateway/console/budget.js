'use strict';
// Budget (UJ6.3.2, UJ1.3.2): the "Budget" page — month to date, remaining, limit, jobs completed,
// a gauge, the per-job and per-tag split, the CSV export and the limit's editor — the job page's
// "Budget" tab (this job's share of the month), and `budgetReviewRow` / `budgetBlocksStart`, the
// budget impact in the review step before a job starts. Every figure comes from the cost service (/budget,
// /costs/month, /jobs/{id}/cost); nothing here computes a figure the service has not.

document.head.append(h('style', {}, `
.budget-grid{display:grid;grid-template-columns:minmax(240px,320px) 1fr;gap:20px;align-items:start}
.gauge svg{width:100%;height:auto;display:block}.gauge .cap{text-align:center;font-size:13px;color:var(--muted)}
@media (max-width:760px){.budget-grid{grid-template-columns:1fr}}`));

// A half-circle gauge of spent against the limit; green, then amber from 80%, red from 100%.
function budgetGauge(spent, limit) {
  const W = 240, H = 140, cx = 120, cy = 120, r = 96;
  const share = limit ? Math.min(1, spent / limit) : 0;
  const colour = !limit ? '#9aa4ae' : spent >= limit ? 'var(--err)' : spent >= 0.8 * limit ? '#d4a72c' : 'var(--ok)';
  const at = t => [cx - r * Math.cos(Math.PI * t), cy - r * Math.sin(Math.PI * t)];
  const arc = t => { const [x, y] = at(t); return `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)}`; };
  return h('div', {class: 'gauge', testid: 'budget-gauge', 'data-percent': limit ? String(Math.round(100 * spent / limit)) : ''},
    svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': limit ? `${Math.round(100 * spent / limit)}% of the monthly limit used` : 'No monthly limit set'},
      svg('path', {d: arc(1), fill: 'none', stroke: 'var(--soft)', 'stroke-width': 22}),
      share > 0 && svg('path', {d: arc(share), fill: 'none', stroke: colour, 'stroke-width': 22}),
      svg('text', {x: cx, y: cy - 18, 'text-anchor': 'middle', 'font-size': 28, 'font-weight': 700, fill: 'currentColor'},
        limit ? `${Math.round(100 * spent / limit)}%` : '—'),
      svg('text', {x: cx, y: cy + 4, 'text-anchor': 'middle', 'font-size': 12, fill: '#57606a'}, limit ? 'of the monthly limit' : 'no limit set')));
}

function viewBudget(main) {
  const v = {alive: true};
  const body = h('div', {class: 'stack', testid: 'budget-view'}, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading the budget…'));
  put(main, h('div', {class: 'page-head'}, h('div', {}, h('h1', {}, 'Budget'),
    h('p', {class: 'muted'}, 'This month’s training spend against your monthly limit.'))), body);
  async function load() {
    let month, budget;
    try { [month, budget] = await Promise.all([api('/costs/month'), api('/budget')]); }
    catch (err) { return v.alive && put(body, errorBox(err, 'budget-error')); }
    if (v.alive) render(month, budget);
  }
  function render(m, b) {
    const stat = (l, val, testid) => h('div', {class: 'stat', testid}, h('div', {class: 'v'}, val), h('div', {class: 'l'}, l));
    const limit = b.monthly_limit_cents;
    const tags = Object.entries(m.by_tag || {});
    put(body,
      h('section', {class: 'card budget-grid'}, budgetGauge(m.spent_cents, limit),
        h('div', {}, h('div', {class: 'stats'},
          stat('Month-to-date spending', money(m.spent_cents), 'budget-spent'),
          stat('Remaining budget', limit == null ? 'No limit' : money(m.remaining_cents), 'budget-remaining'),
          stat('Monthly limit', limit == null ? 'Not set' : money(limit), 'budget-limit'),
          stat('Jobs completed this month', int(m.jobs_completed_this_month), 'budget-jobs-completed'),
          stat('Month-end forecast', money(m.forecast_cents), 'budget-forecast')),
          h('p', {class: 'small muted', style: 'margin-top:10px'}, `${m.month} · ${int(m.jobs_this_month)} jobs started this month. The forecast is this month’s pace so far, carried to the month’s end.`),
          h('div', {class: 'row', style: 'margin-top:8px'},
            h('a', {class: 'btn', testid: 'budget-export', href: `/api/v1/costs/export.csv?month=${m.month}`, download: ''}, '⬇ Export costs (CSV)')))),
      limitEditor(b),
      h('section', {class: 'card'}, h('h2', {}, 'Jobs this month'), (m.jobs || []).length === 0 ?
        h('p', {class: 'muted small', testid: 'budget-no-jobs'}, 'No spend recorded this month.') :
        h('table', {class: 'tbl', testid: 'budget-jobs'}, h('thead', {}, h('tr', {}, ['Job', 'Tags', 'Cost', 'Share of the month'].map(t => h('th', {}, t)))),
          h('tbody', {}, m.jobs.map(j => h('tr', {}, h('td', {}, h('a', {href: `#/jobs/${j.job_id}`}, j.name)), h('td', {class: 'small'}, (j.tags || []).join(', ') || '—'),
            h('td', {}, money(j.cost_cents)), h('td', {}, m.spent_cents ? `${Math.round(100 * j.cost_cents / m.spent_cents)}%` : '—')))))),
      tags.length > 0 && h('section', {class: 'card'}, h('h2', {}, 'By tag'), h('p', {class: 'small muted'}, 'A job’s cost is split evenly over its tags.'),
        h('div', {class: 'bars'}, tags.map(([tag, cents]) => h('div', {class: 'bar-row'}, h('span', {class: 'lbl'}, tag), h('span', {class: 'n'}, money(cents)),
          h('div', {class: 'bar'}, h('span', {style: `width:${m.spent_cents ? 100 * cents / m.spent_cents : 0}%`})))))));
  }
  function limitEditor(b) {
    const input = h('input', {type: 'number', min: 0, step: '0.01', testid: 'budget-limit-input', placeholder: 'No limit',
      value: b.monthly_limit_cents == null ? '' : (b.monthly_limit_cents / 100).toFixed(2), style: 'max-width:180px'});
    const err = h('div', {testid: 'budget-limit-error-area'});
    const save = h('button', {class: 'btn primary', testid: 'budget-limit-save', onclick: async () => {
      const raw = input.value.trim(), dollars = Number(raw);
      if (raw && (!isFinite(dollars) || dollars < 0)) return put(err, h('p', {class: 'field-error'}, 'Enter an amount in dollars, 0 or more, or leave it empty for no limit.'));
      save.disabled = true; put(err);
      try {
        // The caps are kept as they are: PUT /budget sets all three together.
        await api('/budget', {method: 'PUT', json: {monthly_limit_cents: raw ? Math.round(dollars * 100) : null,
          job_cap_cents: b.job_cap_cents, monthly_cap_cents: b.monthly_cap_cents}});
        toast('Monthly limit saved.'); load();
      } catch (e) { put(err, errorBox(e, 'budget-limit-error')); save.disabled = false; }
    }}, 'Save limit');
    return h('section', {class: 'card'}, h('h2', {}, 'Monthly limit'),
      h('p', {class: 'small muted'}, 'Alerts go out at 80% and 100% of it; a job whose estimate does not fit what is left is refused before it starts.'),
      h('div', {class: 'row'}, h('span', {}, '$'), input, save), err,
      (b.job_cap_cents != null || b.monthly_cap_cents != null) && h('p', {class: 'small muted', style: 'margin-top:8px'},
        [b.job_cap_cents != null && `Hard cap per job: ${money(b.job_cap_cents)}`, b.monthly_cap_cents != null && `hard cap per month: ${money(b.monthly_cap_cents)}`].filter(Boolean).join(' · ')));
  }
  load();
  return {cleanup: () => { v.alive = false; }};
}

// UJ6.3.2 on the job page: this job against the month, with the link to the dashboard.
async function budgetTab(pane, ctx) {
  put(pane, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading…'));
  let cost;
  try { cost = await api(`/jobs/${ctx.id}/cost`); } catch (err) { return ctx.alive() && put(pane, errorBox(err, 'job-budget-error')); }
  if (!ctx.alive()) return;
  const b = cost.budget_impact || {}, f = cost.final && !cost.final.pending ? cost.final : null;
  const item = (k, val, testid) => [h('dt', {}, k), h('dd', {testid}, val)];
  put(pane, h('section', {class: 'card', testid: 'job-budget-impact'}, h('h2', {}, 'Monthly budget impact'),
    h('dl', {class: 'summary'},
      item('Month-to-date spending', money(b.month_spent_cents), 'impact-month-spent'),
      item('This job', `${money(f ? f.total_cents : cost.spend_cents)}${b.share_of_month_pct != null ? ` (${b.share_of_month_pct}% of the monthly total)` : ''}`, 'impact-this-job'),
      item('Remaining budget', b.monthly_limit_cents == null ? 'No limit set' : money(b.remaining_cents), 'impact-remaining'),
      item('Monthly limit', b.monthly_limit_cents == null ? 'Not set' : money(b.monthly_limit_cents), 'impact-limit'),
      item('Jobs completed this month', int(b.jobs_completed_this_month), 'impact-jobs-completed')),
    b.monthly_limit_cents != null && budgetGauge(b.month_spent_cents, b.monthly_limit_cents),
    h('p', {style: 'margin-top:10px'}, h('a', {href: '#/budget', testid: 'budget-dashboard-link'}, 'Open the budget dashboard →'))));
}

// UJ1.3.2: the review step's budget impact: month spent, what remains, and this job's share of
// it, as the cost service answers GET /budget?estimate_cents=<the job's high estimate>; its
// `impact.refusal` is the answer creating the job would get, and it blocks the start button.
const reviewBudget = {data: null, loading: false, error: null, at: 0, asked: null, estimate: undefined};
function budgetReviewRow(estimate, rerender) {
  const high = estimate ? estimate.cost_cents_high : null;
  // Asked again with each new estimate (the page asks for one after each change), and every
  // 30 s for the same one; not on each keystroke that re-renders the review.
  if (!reviewBudget.loading && (estimate !== reviewBudget.estimate || Date.now() - reviewBudget.at > 30000)) {
    Object.assign(reviewBudget, {loading: true, at: Date.now(), asked: high, estimate});
    api(high == null ? '/budget' : `/budget?estimate_cents=${high}`)
      .then(d => { Object.assign(reviewBudget, {data: d, error: null}); }, e => { reviewBudget.error = e; })
      .finally(() => { reviewBudget.loading = false; rerender(); });
  }
  const b = reviewBudget.data, impact = b && b.impact && b.impact.estimate_cents === high ? b.impact : null;
  if (!b) return h('span', {class: 'small muted', testid: 'review-budget'}, reviewBudget.error ? 'Budget unavailable right now.' : 'Loading…');
  const line = (testid, text) => h('div', {testid}, text);
  const limit = b.monthly_limit_cents;
  return h('div', {testid: 'review-budget', 'data-fits': impact ? String(impact.fits) : ''},
    line('review-budget-spent', `${money(b.spent_cents)} spent this month`),
    line('review-budget-remaining', limit == null ? h('span', {}, 'No monthly limit set ', h('a', {href: '#/budget'}, '(set one)')) :
      `${money(b.remaining_cents)} of ${money(limit)} remaining`),
    impact && line('review-budget-share', `This job: up to ${money(impact.estimate_cents)}` +
      (impact.share_of_remaining_pct != null ? ` (${impact.share_of_remaining_pct}% of what remains)` : '')),
    impact && impact.refusal && h('div', {class: 'notice err', testid: 'review-budget-refusal', style: 'margin-top:6px'},
      h('p', {}, impact.refusal.message), h('p', {class: 'fix'}, impact.refusal.how_to_fix)));
}
// The start button stays off while the cost service says this job would be refused (without an
// answer it stays on: creating the job asks the same rule again).
function budgetBlocksStart() {
  const impact = reviewBudget.data && reviewBudget.data.impact;
  return !!(impact && impact.estimate_cents === reviewBudget.asked && !impact.fits);
}

ROUTES.push(['budget', /^#\/budget$/, viewBudget]);
NAV_LINKS.push(['budget', 'Budget']);
JOB_TABS.push({key: 'budget', title: 'Budget', show: budgetTab});
