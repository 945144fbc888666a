'use strict';
// The validation report and its share links (UJ5.3.1, UJ5.3.2): the job page's "Report & sharing"
// tab. Generate a version, preview it (the PDF's own HTML), download any version; share the
// results by a view-only link, by email and to Slack; see who opened them; copy the summary.
// Every figure shown here comes from the packaging service (GET /jobs/{id}/report, /shares).

document.head.append(h('style', {}, `
.rep-preview{width:100%;height:640px;border:1px solid var(--line);border-radius:8px;background:#fff}
.rep-row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}.rep-summary{white-space:pre-wrap;background:var(--soft);border-radius:8px;padding:10px 12px;font-size:13.5px}
.rep-table{width:100%;border-collapse:collapse}.rep-table td,.rep-table th{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;font-size:13.5px;vertical-align:top}`));

function reportTab(pane, ctx) {
  const v = {report: null, shares: [], error: null, shareError: null, made: null, version: null, busy: false};
  const base = `/jobs/${ctx.id}`;
  const reload = async () => {
    try {
      [v.report, v.shares] = await Promise.all([api(`${base}/report`), api(`${base}/shares`)]);
      v.error = null;
    } catch (e) { v.error = e; }
    if (!ctx.alive()) return;
    render();
    if (v.report && v.report.status === 'generating') setTimeout(reload, 1500);  // until ReportReady
  };
  const generate = async partial => {
    v.busy = true; render();
    try { await api(`${base}/report${partial ? '?partial=true' : ''}`, {method: 'POST'}); v.error = null; toast('Generating the report…'); }
    catch (e) { v.error = e; v.busy = false; render(); return; }  // a reload would clear the 409 and its partial button
    v.busy = false; reload();
  };
  const share = async form => {
    const recipients = form.recipients.value.split(/[\s,;]+/).filter(Boolean);
    try {
      v.made = await api(`${base}/shares`, {method: 'POST', json: {expires_in_days: Number(form.days.value),
        recipients: form.email.checked ? recipients : [], slack: form.slack.checked}});
      v.shareError = null; toast('Share link created.');
    } catch (e) { v.shareError = e; }
    reload();
  };
  const revoke = async id => {
    try { await api(`${base}/shares/${id}`, {method: 'DELETE'}); toast('Link revoked.'); } catch (e) { v.shareError = e; }
    reload();
  };
  const copy = async (text, what) => {
    try { await navigator.clipboard.writeText(text); toast(`${what} copied.`); }
    catch { toast(`Copy failed: select the text and copy it by hand.`); }
  };

  function render() {
    const r = v.report || {versions: []}, ready = r.versions.filter(x => x.status === 'ready');
    const shown = v.version || r.latest_ready;
    put(pane,
      h('section', {class: 'card', testid: 'report-card'},
        h('div', {class: 'page-head'}, h('h2', {style: 'margin:0'}, 'Validation report'),
          h('div', {class: 'rep-row'},
            h('button', {class: 'btn primary', testid: 'generate-report', disabled: v.busy || r.status === 'generating', onclick: () => generate(false)},
              r.status === 'generating' ? 'Generating…' : 'Generate validation report'),
            v.error && v.error.status === 409 && h('button', {class: 'btn', testid: 'generate-partial', onclick: () => generate(true)}, 'Generate a partial report'))),
        v.error && errorBox(v.error, 'report-error'),
        h('p', {class: 'small', testid: 'report-status', 'data-status': r.status}, r.status === 'none' ? 'No report yet: generate one once validation has finished.' :
          r.status === 'generating' ? 'Generating the PDF (under 30 seconds)…' : r.status === 'failed' ? 'The last generation failed; see the version list.' : `Version ${r.latest_ready} is ready.`),
        ready.length > 0 && h('div', {class: 'rep-row'},
          h('a', {class: 'btn', testid: 'download-report', href: `/api/v1${base}/report.pdf?version=${shown}`}, `Download PDF (version ${shown})`),
          r.summary && h('button', {class: 'btn', testid: 'copy-summary', onclick: () => copy(r.summary, 'Summary')}, 'Copy summary')),
        r.summary && h('div', {class: 'rep-summary', testid: 'report-summary'}, r.summary),
        ready.length > 0 && h('iframe', {class: 'rep-preview', testid: 'report-preview', title: 'Report preview', sandbox: '',
          src: withKey(`/api/v1${base}/report.html?version=${shown}`)}),  // an iframe sends no Bearer header
        r.versions.length > 0 && h('table', {class: 'rep-table', testid: 'report-versions'},
          h('thead', {}, h('tr', {}, ['Version', 'Status', 'Made', 'Pages', 'Size', 'Time', ''].map(t => h('th', {}, t)))),
          h('tbody', {}, r.versions.map(x => h('tr', {testid: 'report-version', 'data-version': x.version},
            h('td', {}, x.version, x.partial ? ' (partial)' : '', x.simplified ? ' (simplified)' : ''), h('td', {}, label(x.status)),
            h('td', {}, when(x.ready_at || x.requested_at)), h('td', {}, x.pages ?? '—'), h('td', {}, bytes(x.size_bytes)),
            h('td', {}, x.generation_s != null ? `${x.generation_s.toFixed(1)} s` : '—'),
            h('td', {}, x.status === 'ready' ? [h('button', {class: 'btn small', onclick: () => { v.version = x.version; render(); }}, 'Preview'), ' ',
              h('a', {href: `/api/v1${base}/report.pdf?version=${x.version}`}, 'PDF')] : x.message)))))),
      shareCard(r, ready.length > 0));
  }

  function shareCard(r, canShare) {
    const form = h('form', {testid: 'share-form', onsubmit: e => { e.preventDefault(); share(e.target); }},
      h('div', {class: 'rep-row'},
        h('label', {}, 'Link expires in ', h('input', {name: 'days', type: 'number', min: 1, max: 30, value: 30, style: 'width:70px', testid: 'share-days'}), ' days (at most 30)')),
      h('div', {class: 'rep-row', style: 'margin-top:8px'},
        h('label', {}, h('input', {type: 'checkbox', name: 'email', testid: 'share-email'}), ' Send by email to '),
        h('input', {name: 'recipients', placeholder: 'client@example.com, cfo@example.com', style: 'min-width:320px', testid: 'share-recipients'})),
      h('div', {class: 'rep-row', style: 'margin-top:8px'},
        h('label', {}, h('input', {type: 'checkbox', name: 'slack', testid: 'share-slack'}), ' Post to the Slack channel set in notification preferences')),
      h('div', {class: 'rep-row', style: 'margin-top:10px'},
        h('button', {class: 'btn primary', type: 'submit', testid: 'share-create', disabled: !canShare}, 'Create view-only link'),
        r.summary && h('button', {class: 'btn', type: 'button', testid: 'share-copy-summary', onclick: () => copy(r.summary, 'Summary')}, 'Copy summary to clipboard')));
    return h('section', {class: 'card', testid: 'share-card'},
      h('h2', {}, 'Share results'),
      !canShare && h('p', {class: 'small'}, 'Generate the report first: a share link shows its validation results and PDF.'),
      form,
      v.shareError && errorBox(v.shareError, 'share-error'),
      v.made && h('div', {class: 'notice', testid: 'share-made'}, 'View-only link, until ', when(v.made.expires_at), ': ',
        h('a', {href: v.made.url, target: '_blank', rel: 'noopener', testid: 'share-url', style: 'word-break:break-all'}, v.made.url), ' ',
        h('button', {class: 'btn small', onclick: () => copy(v.made.url, 'Link')}, 'Copy link')),
      v.shares.length > 0 && h('table', {class: 'rep-table', testid: 'share-list', style: 'margin-top:12px'},
        h('thead', {}, h('tr', {}, ['Created', 'Expires', 'Sent to', 'Status', 'Views', ''].map(t => h('th', {}, t)))),
        h('tbody', {}, v.shares.map(s => h('tr', {testid: 'share-row', 'data-share-id': s.id, 'data-status': s.status},
          h('td', {}, when(s.created_at)), h('td', {}, when(s.expires_at)),
          h('td', {}, s.recipients.map(x => x.email).join(', ') || 'link only', s.slack ? ' · Slack' : ''),
          h('td', {}, label(s.status)),
          h('td', {testid: 'share-views'}, s.view_count === 0 ? 'Not opened yet' : [`${s.view_count} view${s.view_count === 1 ? '' : 's'}, last ${when(s.last_viewed_at)}`,
            h('div', {class: 'small'}, viewsByWho(s.views))]),
          h('td', {}, s.status === 'active' && h('button', {class: 'btn small danger', testid: 'share-revoke', onclick: () => revoke(s.id)}, 'Revoke')))))));
  }

  reload();
}

// "cfo@client.example: 2 · public link: 1": how many times each recipient's link was opened.
function viewsByWho(views) {
  const counts = new Map();
  for (const x of views) counts.set(x.recipient || 'public link', (counts.get(x.recipient || 'public link') || 0) + 1);
  return [...counts].map(([who, n]) => `${who}: ${n}`).join(' · ');
}

JOB_TABS.push({key: 'report', title: 'Report & sharing', show: reportTab});
