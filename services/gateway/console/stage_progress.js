'use strict';
// UJ2.2.1 / UJ2.3.1 / UJ2.3.2 / UJ3.1.3 on the job page: progress inside a stage, the model's
// cache status, the "Ready to train" summary, and the GPU rows of the metrics table. The figures
// come from the trainer's stage events (GET /jobs/{id} progress.stage, live 'stage' frames) and
// from GET /jobs/{id}/metrics' `gpu`; this file only draws them.

// A stage event as the page keeps it, from a live frame or from progress.stage.
const stageNowFrom = d => ({stage: d.stage, detail: d.detail || '', progress: d.progress || null, at: d.at || d.occurred_at});

function remainingText(p) {
  if (p.percent >= 100) return 'done';
  if (p.remaining_s == null) return 'estimating time left…';
  const basis = p.remaining_basis === 'measured' ? 'at the rate so far' : p.remaining_basis;
  return `about ${dur(p.remaining_s)} left${basis ? ` (${basis})` : ''}`;
}

// "tokenizing 1,200 of 2,400 examples · 50% · about 30s left (at the rate so far)" over a bar.
function stageProgressBlock(now, stage) {
  if (!now || now.stage !== stage || !now.progress) return null;
  const p = now.progress, percent = Math.round(p.percent);
  const counts = p.unit === 'bytes'
    ? (p.cache === 'cached' ? 'cached on this machine: nothing to download'
      : p.total ? `${bytes(p.done)} of ${bytes(p.total)} downloaded` : 'downloading from the model hub')
    : now.detail;
  return h('div', {testid: 'stage-progress', 'data-percent': percent},
    h('div', {class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': percent, style: 'margin:8px 0 4px'},
      h('span', {style: `width:${p.percent}%`})),
    h('p', {class: 'small', testid: 'stage-progress-text'}, `${counts} · ${percent}% · ${remainingText(p)}`),
    p.cache && h('p', {class: 'small muted', testid: 'model-cache'}, p.cache === 'cached' ? 'Model weights: cached' : 'Model weights: downloading'));
}

// UJ2.3.2: the transition notice, with when training should end and what that rests on.
function readyNotice(progress, job) {
  const r = progress && progress.ready;
  if (!r) return null;
  const item = (k, val, testid) => [h('dt', {}, k), h('dd', {testid}, val)];
  const basis = progress.expected_completion_basis === 'measured' ? 'from the steps timed so far'
    : r.step_time_basis === 'measured' ? 'from the checkpoint’s measured step time' : 'estimated from a timed forward pass';
  return h('div', {class: 'notice ok', style: 'margin:20px 0 0', testid: 'ready-to-train'},
    h('strong', {}, '✓ Ready to train'),
    h('dl', {class: 'summary', style: 'margin-top:8px'},
      item('Training file confirmed', `${int(r.conversations)} conversations (${int(r.training_pairs)} training pairs)`, 'ready-file'),
      item('Model loaded', `${r.model}${r.quantization === 'nf4' ? ' (4-bit quantized)' : ''}`, 'ready-model'),
      item('Configuration', `${label(job.preset || 'custom')} preset, ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}, ${int(r.steps_left)} steps`, 'ready-config'),
      item('Estimated training time', `${dur(r.expected_training_s)} (${int(r.steps_left)} steps × ${r.step_time_s.toFixed(2)} s, ${r.step_time_basis})`, 'ready-time'),
      item('Estimated completion', progress.expected_completion_at ? `${when(progress.expected_completion_at)} (${basis})` : '—', 'ready-completion')));
}

// UJ3.1.3: GPU utilisation and memory, or "n/a (CPU)" with the API's reason as the tooltip.
function gpuFromSample(d) {  // a live 'resources' frame, read the way GET /metrics' `gpu` reads
  const cuda = String(d.device || '').startsWith('cuda');
  return cuda ? {device: d.device, utilisation_pct: d.utilisation_pct, memory_bytes: d.memory_bytes, memory_total_bytes: d.memory_total_bytes,
    unavailable_reason: d.utilisation_pct == null ? 'utilisation not measured on this machine' : null}
    : {device: d.device, utilisation_pct: null, memory_bytes: null, memory_total_bytes: null, unavailable_reason: 'the job runs on a CPU: there is no GPU to measure'};
}
function gpuTexts(gpu) {
  const g = gpu || {}, cpu = g.device && !String(g.device).startsWith('cuda');
  const absent = cpu ? 'n/a (CPU)' : g.device ? 'not measured' : 'Calculating…';
  const gb = b => `${(b / 1e9).toFixed(1)} GB`;
  return {
    util: g.utilisation_pct == null ? absent : `${Math.round(g.utilisation_pct)}%`,
    memory: g.memory_bytes == null ? absent : g.memory_total_bytes ? `${gb(g.memory_bytes)} / ${gb(g.memory_total_bytes)}` : gb(g.memory_bytes),
    why: g.unavailable_reason || '',
  };
}
// The newer of two stage events (a live frame, or the one GET /jobs/{id} answered).
const newerStage = (a, b) => !a ? b || null : !b ? a : Date.parse(a.at) >= Date.parse(b.at) ? a : b;
// UJ2.2.1's sub-steps, the current one picked out by the trainer's detail line.
function preprocessingSubsteps(detail) {
  const steps = [['Loading the training file', /reading/i], ['Tokenizing the conversations', /tokeniz/i], ['Splitting and packing', /split|pack/i]];
  const at = steps.findIndex(([, re]) => re.test(detail || ''));
  return h('ul', {class: 'substeps', testid: 'preprocessing-substeps'}, steps.map(([t], i) => h('li', {class: i === at ? 'now' : ''}, t)));
}
