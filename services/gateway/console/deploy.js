'use strict';
// Deploy (UJ6.1.1, UJ6.1.2, UJ6.2.1, UJ6.2.2): the job page's "Deploy" tab. The adapter bundle
// and the deployment package through signed 24-hour links (streamed, with progress in the
// browser), the metrics export as CSV or JSON, and the deployment instructions as tabs with
// copy buttons. What exists and when the rest will comes from the packaging service.

document.head.append(h('style', {}, `
.dep-list{display:grid;gap:10px}.dep-item{display:flex;justify-content:space-between;gap:12px;align-items:center;flex-wrap:wrap;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.dep-tabs{display:flex;gap:4px;flex-wrap:wrap;margin:8px 0}.dep-md{background:var(--soft);border-radius:8px;padding:10px 12px;font-size:13.5px;overflow:auto}
.dep-md pre{position:relative;background:#0f172a;color:#e2e8f0;border-radius:6px;padding:10px 12px;overflow:auto}.dep-md pre button{position:absolute;top:6px;right:6px}
.dep-md table{border-collapse:collapse}.dep-md td,.dep-md th{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left}`));

const ARTIFACT_TEXT = {
  'adapter-bundle': ['LoRA adapter bundle', 'adapter_model.safetensors, adapter_config.json (base model named by its hub id), model card, README.txt, training_summary.json'],
  'deployment-package': ['Deployment package', 'adapters/, inference.py (CLI and OpenAI-compatible server), requirements.txt, README.md, example prompts, training and validation summaries'],
};

function deployTab(pane, ctx) {
  const v = {artifacts: null, error: null, guide: null, guideError: null, section: null, linkError: null};
  const base = `/jobs/${ctx.id}`;
  const reload = async () => {
    try { v.artifacts = await api(`${base}/artifacts`); v.error = null; } catch (e) { v.error = e; }
    if (!v.guide) {
      try { v.guide = await api(`${base}/deployment-instructions`); v.section = v.guide.sections[0].key; } catch (e) { v.guideError = e; }
    }
    if (!ctx.alive()) return;
    render();
    const waiting = v.artifacts && v.artifacts.artifacts.some(a => a.status === 'building');
    if (waiting) setTimeout(() => ctx.alive() && reload(), 3000);
  };
  const download = async kind => {
    try {
      const link = await api(`${base}/artifacts/${kind}/link`, {method: 'POST'});
      v.linkError = null;
      // A plain navigation: the browser streams it to disk and shows its own progress bar.
      const a = h('a', {href: link.url, download: link.filename});
      document.body.append(a); a.click(); a.remove();
      toast(`Downloading ${link.filename} (${bytes(link.size_bytes)}); the link works for 24 hours.`);
    } catch (e) { v.linkError = e; render(); }
  };
  const copyLink = async kind => {
    try {
      const link = await api(`${base}/artifacts/${kind}/link`, {method: 'POST'});
      await navigator.clipboard.writeText(new URL(link.url, location.href).href);
      toast(`Link copied; valid until ${when(link.expires_at)}.`);
    } catch (e) { v.linkError = e; render(); }
  };

  function artifactRow(a) {
    const [title, what] = ARTIFACT_TEXT[a.kind] || [label(a.kind), ''];
    const ready = a.status === 'ready';
    return h('div', {class: 'dep-item', testid: `artifact-${a.kind}`, 'data-status': a.status},
      h('div', {style: 'min-width:0'}, h('strong', {}, title), h('div', {class: 'small'}, what),
        h('div', {class: 'small', testid: `artifact-${a.kind}-status`}, ready
          ? `Ready · ${bytes(a.size_bytes)} · version ${a.version} · built ${when(a.built_at)} · downloaded ${a.downloads}×`
          : `${label(a.status)}. ${a.message}`,
          ready && a.message ? ` ${a.message}` : ''),
        ready && h('div', {class: 'small mono', title: 'SHA-256 of the zip'}, `sha256 ${a.sha256}`)),
      h('div', {class: 'row'},
        h('button', {class: 'btn primary', disabled: !ready, testid: `download-${a.kind}`, onclick: () => download(a.kind)}, 'Download'),
        h('button', {class: 'btn small', disabled: !ready, onclick: () => copyLink(a.kind)}, 'Copy 24 h link')));
  }

  function guide() {
    if (v.guideError) return errorBox(v.guideError, 'guide-error');
    if (!v.guide) return h('p', {class: 'small'}, 'Loading the deployment instructions…');
    const current = v.guide.sections.find(s => s.key === v.section) || v.guide.sections[0];
    return [
      h('div', {class: 'dep-tabs', role: 'tablist'}, v.guide.sections.map(s => h('button', {
        class: 'btn small', role: 'tab', testid: `guide-tab-${s.key}`, 'aria-selected': String(s.key === current.key),
        onclick: () => { v.section = s.key; render(); }}, s.title))),
      h('div', {class: 'dep-md', testid: 'guide-body'}, markdown(current.markdown))];
  }

  function render() {
    const list = v.artifacts ? v.artifacts.artifacts : [];
    put(pane,
      h('section', {class: 'card', testid: 'deploy-card'}, h('h2', {}, 'Downloads'),
        v.error && errorBox(v.error, 'artifacts-error'),
        v.linkError && errorBox(v.linkError, 'link-error'),
        h('div', {class: 'dep-list'}, list.map(artifactRow))),
      h('section', {class: 'card', testid: 'export-card'}, h('h2', {}, 'Export metrics'),
        h('p', {class: 'small'}, 'Every step: epoch, training and validation loss, learning rate, perplexity, GPU utilisation and memory, timestamp.'),
        h('div', {class: 'row'},
          h('a', {class: 'btn', href: `/api/v1${base}/metrics.csv`, download: '', testid: 'export-csv'}, 'CSV (spreadsheets)'),
          h('a', {class: 'btn', href: `/api/v1${base}/metrics.json`, download: '', testid: 'export-json'}, 'JSON (programs)'))),
      h('section', {class: 'card', testid: 'guide-card'}, h('h2', {}, 'Deployment instructions'), guide()));
  }
  reload();
}

// The small markdown the instructions use: headings, fenced code (with a copy button), tables,
// lists, quotes, **bold** and `code`. Text goes in as text nodes, never as HTML.
function markdown(text) {
  const out = [], lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const code = [];
      while (++i < lines.length && !lines[i].startsWith('```')) code.push(lines[i]);
      const body = code.join('\n');
      out.push(h('pre', {}, h('code', {}, body),
        h('button', {class: 'btn small', testid: 'copy-code', onclick: () => navigator.clipboard.writeText(body).then(() => toast('Copied.'))}, 'Copy')));
    } else if (line.startsWith('|')) {
      const rows = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) if (!/^\|\s*-/.test(lines[i])) rows.push(lines[i].split('|').slice(1, -1).map(c => c.trim()));
      i--;
      out.push(h('table', {}, rows.map((r, n) => h('tr', {}, r.map(c => h(n ? 'td' : 'th', {}, inline(c)))))));
    } else if (/^#+ /.test(line)) out.push(h('h3', {}, line.replace(/^#+ /, '')));
    else if (line.startsWith('- ')) out.push(h('li', {}, inline(line.slice(2))));
    else if (line.startsWith('> ')) out.push(h('div', {class: 'notice'}, inline(line.slice(2))));
    else if (line.trim()) out.push(h('p', {}, inline(line)));
  }
  return out;
}
function inline(text) {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map(part => part.startsWith('`') && part.endsWith('`') && part.length > 1
    ? h('code', {}, part.slice(1, -1)) : part.startsWith('**') ? h('strong', {}, part.slice(2, -2)) : part);
}

JOB_TABS.push({key: 'deploy', title: 'Deploy', show: deployTab});
