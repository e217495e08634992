// The automation report as charts drawn on the server (SVG): automation over time and per tool, what people decided, how fast,
// and how the shadow policies agreed. Every chart has its table.
import { getJson, describeProblem } from './api.js';
import { el } from './view.js';
import { figure } from './charts.js';

function field(label, control) {
  return el('label', {}, label, control);
}

export function renderReport(container) {
  const from = el('input', { type: 'date', name: 'from' });
  const to = el('input', { type: 'date', name: 'to' });
  const tool = el('input', { name: 'tool', autocomplete: 'off' });
  const tenant = el('input', { name: 'tenant', autocomplete: 'off' });
  const bucket = el('select', { name: 'bucket' },
    el('option', { value: '', text: 'Automatic' }), el('option', { value: 'day', text: 'Per day' }), el('option', { value: 'week', text: 'Per week' }));
  const form = el('form', { class: 'filters page-filters', 'aria-label': 'Report window' },
    field('From (UTC)', from), field('To (UTC)', to), field('Tool', tool), field('Tenant', tenant), field('Over time', bucket),
    el('button', { type: 'submit', text: 'Show the report' }));
  const headline = el('p', { class: 'headline', role: 'status', 'aria-live': 'polite' });
  const charts = el('div', { class: 'charts' });
  container.append(form, headline, charts);

  const load = async () => {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) params.set(name, value);
    headline.textContent = 'Counting…';
    const { response, body } = await getJson(`/api/report?${params}`);
    if (!response.ok) { headline.textContent = describeProblem(response, body); headline.classList.add('refused'); charts.replaceChildren(); return; }
    headline.classList.remove('refused');
    from.value = body.from;
    to.value = body.to;
    headline.textContent = `${body.from} to ${body.to} (UTC): ${body.seen} calls, ${(body.automationRate * 100).toFixed(1)}% decided without a person` +
      (body.unreadableApprovals ? `; ${body.unreadableApprovals} approvals could not be read and are left out` : '') + '.';
    charts.replaceChildren(...body.charts.map(figure));
    container.dataset.loaded = 'true';
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  load();
}
