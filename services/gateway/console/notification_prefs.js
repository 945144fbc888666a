'use strict';
// UJ5.1.2 "notifications based on preferences": the page that edits them — which channels
// (in-app, email, Slack), where email and Slack go, and which events notify. GET/PUT
// /notification-preferences (the notification service owns them and checks the Slack URL).

const PREF_CHANNELS = [['in_app', 'In the console'], ['email', 'Email'], ['slack', 'Slack']];
const PREF_TRIGGERS = [
  ['completed', 'Training completed (configuration, final metrics and cost)'], ['failed', 'Training failed (error and retry options)'],
  ['cancelled', 'Job cancelled (final cost)'], ['job_started', 'Job started'], ['interrupted', 'Spot interruption'],
  ['recovered', 'Recovered after an interruption'], ['gpu_unavailable', 'No GPU available (choose how to go on)'],
  ['stage_stuck', 'A stage takes much longer than expected'], ['stage_changed', 'Stage changes (the stages ticked below)'],
  ['cost_alert', 'Cost alerts for a job'], ['budget_alert', 'Monthly budget alerts'],
  ['validation_done', 'Validation done'], ['validation_failed', 'Validation failed'],
  ['report_ready', 'Validation report ready'], ['report_shared', 'Results shared'], ['share_viewed', 'Shared results opened']];
const PREF_STAGES = ['provisioning', 'preprocessing', 'model_loading', 'training', 'finalizing', 'validating'];

function viewNotificationSettings(main) {
  const v = {alive: true};
  const body = h('div', {class: 'stack', testid: 'notification-settings'}, h('p', {class: 'muted'}, h('span', {class: 'spinner'}), ' Loading preferences…'));
  put(main, h('div', {class: 'page-head'}, h('div', {}, h('h1', {}, 'Notification settings'),
    h('p', {class: 'muted'}, 'Where you hear about your jobs, and about what.'))), body);
  api('/notification-preferences').then(p => v.alive && render(p.effective))
    .catch(err => v.alive && put(body, errorBox(err, 'notification-settings-error')));
  return {cleanup: () => { v.alive = false; }};

  function render(eff) {
    const boxes = (list, chosen, prefix) => list.map(([value, text]) => h('label', {class: 'row', style: 'gap:6px'},
      h('input', {type: 'checkbox', value, checked: chosen.includes(value), testid: `${prefix}-${value}`}), text));
    const channels = h('div', {class: 'stack'}, boxes(PREF_CHANNELS, eff.channels, 'pref-channel'));
    const triggers = h('div', {class: 'stack'}, boxes(PREF_TRIGGERS, eff.triggers, 'pref-trigger'));
    const stages = h('div', {class: 'row', style: 'flex-wrap:wrap;gap:12px'}, boxes(PREF_STAGES.map(s => [s, label(s)]), eff.stages, 'pref-stage'));
    const email = h('input', {type: 'email', testid: 'pref-email', value: eff.email_to || '', placeholder: 'you@example.com'});
    const slack = h('input', {type: 'url', testid: 'pref-slack', value: eff.slack_webhook_url || '', placeholder: 'https://hooks.slack.com/services/…'});
    const err = h('div', {testid: 'pref-error-area'});
    const ticked = el => [...el.querySelectorAll('input:checked')].map(i => i.value);
    const save = h('button', {class: 'btn primary', testid: 'pref-save', onclick: async () => {
      save.disabled = true; put(err);
      try {
        const saved = await api('/notification-preferences', {method: 'PUT', json: {channels: ticked(channels), triggers: ticked(triggers),
          stages: ticked(stages), email_to: email.value.trim() || null, slack_webhook_url: slack.value.trim() || null}});
        toast('Notification settings saved.'); render(saved.effective);
      } catch (e) { put(err, errorBox(e, 'pref-error')); save.disabled = false; }
    }}, 'Save settings');
    put(body,
      h('section', {class: 'card'}, h('h2', {}, 'Channels'), channels,
        h('label', {class: 'field'}, 'Email address', email),
        h('label', {class: 'field'}, 'Slack incoming webhook URL', slack),
        h('p', {class: 'small muted'}, 'Email and Slack are sent only where an address or webhook is set; failed sends are retried 3 times.')),
      h('section', {class: 'card'}, h('h2', {}, 'What notifies you'), triggers,
        h('h3', {style: 'margin-top:12px'}, 'Stages'), stages),
      h('div', {class: 'row'}, save), err);
  }
}

ROUTES.push(['notification-settings', /^#\/notification-settings$/, viewNotificationSettings]);
NAV_LINKS.push(['notification-settings', 'Notification settings']);
