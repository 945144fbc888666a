'use strict';
// UJ1.2.1 / UJ1.2.2: the GPU types the console offers, with their prices and availability, come
// from GET /gpu-types (provisioning: RunPod's live prices, or this machine's list when training
// runs locally). A type whose price the provider does not give is priced by the estimate from
// the cost service's list prices, and says so. Used by the configure page and the resume dialog.

let gpuTypesAnswer = null, gpuTypesAt = 0;
async function gpuTypes() {  // the answer, asked again after a minute (RunPod's prices move)
  if (!gpuTypesAnswer || Date.now() - gpuTypesAt > 60_000) {
    gpuTypesAt = Date.now();
    gpuTypesAnswer = api('/gpu-types').catch(err => { gpuTypesAnswer = null; throw err; });
  }
  return gpuTypesAnswer;
}
const perHour = c => `${money(c)}/h`;
// [{value, text, available, row}]: the option text carries the prices and whether one is free.
async function gpuTypeChoices() {
  const answer = await gpuTypes();
  return (answer.gpu_types || []).map(r => {
    const priced = r.spot_cents_per_hour != null && r.on_demand_cents_per_hour != null;
    const price = r.gpu_type === 'cpu' ? 'free' : priced ? `${perHour(r.spot_cents_per_hour)} spot, ${perHour(r.on_demand_cents_per_hour)} on-demand` : 'list price in the estimate';
    const name = r.gpu_type === 'cpu' ? 'CPU (this machine, small models)' : r.display_name || r.gpu_type;
    return {value: r.gpu_type, available: r.available, row: r,
      text: `${name} · ${price}${r.available ? '' : ' · none free now'}`};
  });
}
// The line under the GPU list: where the prices come from, and a stale or local notice.
async function gpuTypesNote() {
  const answer = await gpuTypes();
  const spot = answer.spot_interruption;  // UJ1.2.2: from this installation's finished spot jobs
  const spotDone = (answer.pricing_success || {}).spot;
  return [answer.notice, spot && `Spot interruptions here: ${spot.text}.`,
    spotDone && `Spot success with automatic checkpoint recovery: ${spotDone.text}.`, answer.stale ? 'Prices may be out of date.' : '',
    answer.fetched_at ? `Prices fetched ${when(answer.fetched_at)}.` : ''].filter(Boolean).join(' ');
}

// UJ2.1.2: in the no-GPU offer, what switching to on-demand costs more per hour. Live prices
// from GET /gpu-types; with no spot GPU free RunPod gives no spot price, so the spot rate the
// job was estimated at stands in (and the note says so).
async function gpuOfferNote(job) {
  if (job.pricing !== 'spot') return '';
  const row = ((await gpuTypes()).gpu_types || []).find(r => r.gpu_type === job.gpu_type) || {};
  const est = job.estimate || {}, count = job.gpu_count || 1;
  const live = row.spot_cents_per_hour != null;
  const spot = live ? row.spot_cents_per_hour * count : est.hourly_rate_cents;
  const onDemand = row.on_demand_cents_per_hour != null ? row.on_demand_cents_per_hour * count
    : est.on_demand_cents_per_hour != null ? est.on_demand_cents_per_hour * count : null;
  if (spot == null || onDemand == null) return '';
  const more = onDemand - spot;
  return `On-demand: ${more >= 0 ? '+' : '−'}${perHour(Math.abs(more))} (${perHour(onDemand)} instead of ${perHour(spot)}${live ? '' : ', the spot rate this job was estimated at'}), immediate start.`;
}
