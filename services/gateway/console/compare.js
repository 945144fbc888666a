'use strict';
// Compare (UJ6.4.1): pick 2 to 4 jobs, see them side by side — overlaid loss curves, the metrics
// table, the configuration differences, the winner by quality per dollar with its rule — and
// export the comparison as a PDF. The packaging service decides everything (POST /comparisons);
// this page draws what it answers. `#/compare/<job id>` opens it with that job ticked.

const CMP_COLOURS = ['#2563eb', '#d9480f', '#1a7f37', '#8250df'];
document.head.append(h('style', {}, `
.cmp-pick{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px;max-height:340px;overflow:auto;margin:8px 0}
.cmp-pick label{display:flex;gap:8px;align-items:flex-start;border:1px solid var(--line);border-radius:8px;padding:8px 10px;cursor:pointer;font-size:14px}
.cmp-pick label[data-selected=true]{border-color:var(--accent);background:var(--accent-soft)}
.cmp-win td{background:var(--ok-soft)!important;font-weight:600}.cmp-key{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.cmp-chart svg{width:100%;height:auto;display:block}`));

function comparisonChart(series) {
  const W = 760, H = 300, m = {l: 56, r: 16, t: 12, b: 40};
  const pts = series.flatMap(s => [...s.train, ...s.eval]);
  if (!pts.length) return h('p', {class: 'muted'}, 'No loss recorded.');
  const x1 = Math.max(...pts.map(p => p[0]), 1), ys = pts.map(p => p[1]);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const X = s => m.l + (s / x1) * (W - m.l - m.r), Y = v => H - m.b - (v - y0) / (y1 - y0) * (H - m.t - m.b);
  const path = p => p.map(([s, v], i) => `${i ? 'L' : 'M'}${X(s).toFixed(1)},${Y(v).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(t => y0 + t * (y1 - y0));
  return h('div', {class: 'cmp-chart', testid: 'comparison-chart'}, svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Loss curves of the compared jobs'},
    ticks.map(t => [svg('line', {x1: m.l, x2: W - m.r, y1: Y(t), y2: Y(t), stroke: '#eef1f4'}),
      svg('text', {x: m.l - 6, y: Y(t) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a'}, t.toFixed(2))]),
    svg('text', {x: (W + m.l) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12, fill: '#57606a'}, `Step (0 – ${x1})`),
    series.map((s, i) => [
      s.train.length > 0 && svg('path', {d: path(s.train), fill: 'none', stroke: CMP_COLOURS[i % 4], 'stroke-width': 2, 'data-testid': 'comparison-curve'}),
      s.eval.length > 0 && svg('path', {d: path(s.eval), fill: 'none', stroke: CMP_COLOURS[i % 4], 'stroke-width': 1.5, 'stroke-dasharray': '5 4'}),
      s.eval.map(([st, val]) => svg('circle', {cx: X(st), cy: Y(val), r: 3, fill: CMP_COLOURS[i % 4]}))])),
    h('div', {class: 'legend', style: 'flex-wrap:wrap;margin-top:6px'}, series.map((s, i) =>
      h('span', {}, h('i', {style: `background:${CMP_COLOURS[i % 4]}`}), s.name)), h('span', {}, 'solid: training · dashed: validation')));
}

function comparisonResult(r) {
  const fmt = (x, n = 4) => x == null ? '—' : Number(x).toFixed(n);
  const pctCell = x => x == null ? '—' : `${Number(x).toFixed(1)}%`;
  const costCell = row => row.cost_cents == null ? '—' : money(row.cost_cents) + (row.cost_final ? '' : ' (so far)');
  const key = i => h('span', {class: 'cmp-key', style: `background:${CMP_COLOURS[i % 4]}`});
  return h('div', {class: 'stack', testid: 'comparison-result'},
    r.warnings.length > 0 && h('div', {class: 'notice warn', testid: 'comparison-warnings', role: 'alert'}, r.warnings.map(w => h('p', {}, '⚠ ', w))),
    h('div', {class: `banner ${r.winner ? 'ok' : 'neutral'}`, testid: 'comparison-winner'},
      h('h2', {}, r.winner ? `🏆 ${r.winner.headline}` : 'No winner'),
      !r.winner && h('p', {}, 'No job both improved and has a known cost.'),
      h('p', {class: 'small', testid: 'comparison-rule'}, r.rule)),
    h('section', {class: 'card'}, h('div', {class: 'page-head', style: 'margin-bottom:8px'}, h('h2', {style: 'margin:0'}, 'Loss curves'),
      h('a', {class: 'btn small', href: r.pdf_url, download: '', testid: 'comparison-pdf'}, '⬇ Export PDF')), comparisonChart(r.series)),
    h('section', {class: 'card'}, h('h2', {}, 'Metrics'),
      h('div', {style: 'overflow:auto'}, h('table', {class: 'tbl', testid: 'comparison-table'},
        h('thead', {}, h('tr', {}, ['Job', 'Final training loss', 'Final validation loss', 'Perplexity improvement', 'EI improvement', 'Retention', 'Quality', 'Cost', 'Duration', 'Quality per $'].map(t => h('th', {}, t)))),
        h('tbody', {}, r.table.map((row, i) => h('tr', {class: row.is_winner ? 'cmp-win' : '', testid: 'comparison-row', 'data-winner': String(row.is_winner)},
          h('td', {}, key(i), h('a', {href: `#/jobs/${row.job_id}`}, row.name), row.is_winner ? ' 🏆' : ''),
          h('td', {}, fmt(row.final_train_loss)), h('td', {}, fmt(row.final_val_loss)),
          h('td', {}, pctCell(row.perplexity_improvement_pct), row.perplexity_badge ? [' ', typeof valBadge === 'function' ? valBadge(row.perplexity_badge, 'perplexity-badge') : h('span', {class: 'badge'}, row.perplexity_badge)] : ''),
          h('td', {}, pctCell(row.ei_improvement_pct)), h('td', {}, pctCell(row.retention_pct)), h('td', {}, pctCell(row.quality_pct)),
          h('td', {}, costCell(row)), h('td', {}, dur(row.duration_s)), h('td', {}, row.quality_per_dollar == null ? '—' : Number(row.quality_per_dollar).toFixed(1))))))),
      h('p', {class: 'small muted', style: 'margin-top:8px'}, `Quality: ${r.quality_label}.`),
      r.notes.map(n => h('p', {class: 'small muted', testid: 'comparison-note'}, n))),
    h('section', {class: 'card'}, h('h2', {}, 'Configuration differences'), r.differences.length === 0 ?
      h('p', {class: 'muted', testid: 'comparison-no-differences'}, 'The jobs’ configurations are identical.') :
      h('table', {class: 'tbl', testid: 'comparison-differences'}, h('thead', {}, h('tr', {}, h('th', {}, 'Setting'), r.table.map((row, i) => h('th', {}, key(i), row.name)))),
        h('tbody', {}, r.differences.map(d => h('tr', {}, h('td', {}, d.label), d.values.map(val => h('td', {style: 'background:var(--warn-soft)'}, val))))))));
}

function viewCompare(main, match) {
  const v = {alive: true, selected: new Set(match[1] ? [match[1]] : [])};
  const picker = h('div', {testid: 'compare-picker'}, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading jobs…'));
  const go = h('button', {class: 'btn primary', testid: 'compare-button', disabled: true, onclick: run}, 'Compare');
  const hint = h('span', {class: 'small muted', testid: 'compare-hint'});
  const out = h('div', {testid: 'compare-output'});
  put(main, h('div', {class: 'page-head'}, h('div', {}, h('h1', {}, 'Compare training runs'),
    h('p', {class: 'muted'}, 'Select 2 to 4 jobs to see their loss curves, metrics, cost and configuration side by side.'))),
    h('section', {class: 'card'}, picker, h('div', {class: 'row'}, go, hint)), out);
  api('/jobs?limit=200').then(jobs => {
    if (!v.alive) return;
    v.jobs = jobs;
    if (!jobs.length) return put(picker, h('p', {class: 'muted'}, 'No jobs yet: train a model first.'));
    put(picker, h('div', {class: 'cmp-pick'}, jobs.map(j => h('label', {testid: 'compare-option', 'data-job-id': j.id, 'data-selected': String(v.selected.has(j.id))},
      h('input', {type: 'checkbox', checked: v.selected.has(j.id), onchange: e => {
        e.target.checked ? v.selected.add(j.id) : v.selected.delete(j.id);
        e.target.parentElement.dataset.selected = String(e.target.checked);
        paint();
      }}), h('span', {}, h('strong', {}, j.name), h('br'), h('span', {class: 'small muted'}, `${label(j.status)} · ${j.training_file_name} · ${label(j.preset)} · ${when(j.created_at)}`))))));
    paint();
    if (v.selected.size >= 2) run();
  }).catch(err => v.alive && put(picker, errorBox(err, 'compare-jobs-error')));
  function paint() {
    const n = v.selected.size;
    go.disabled = n < 2 || n > 4;
    hint.textContent = n < 2 ? `Select ${2 - n} more.` : n > 4 ? `At most 4: untick ${n - 4}.` : `${n} selected.`;
  }
  async function run() {
    go.disabled = true; put(out, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Comparing…'));
    const order = (v.jobs || []).map(j => j.id).filter(id => v.selected.has(id));
    try {
      const result = await api('/comparisons', {method: 'POST', json: {job_ids: order.length ? order : [...v.selected]}});
      if (v.alive) put(out, comparisonResult(result));
    } catch (err) { if (v.alive) put(out, errorBox(err, 'compare-error')); }
    paint();
  }
  return {cleanup: () => { v.alive = false; }};
}

ROUTES.push(['compare', /^#\/compare(?:\/([0-9a-f-]{36}))?$/, viewCompare]);
NAV_LINKS.push(['compare', 'Compare']);
