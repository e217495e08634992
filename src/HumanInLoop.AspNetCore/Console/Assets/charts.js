// A chart the server drew as SVG, put in the page as SVG (parsed as XML, never as HTML), with its table for screen readers.
import { el } from './view.js';

export function figure(chart) {
  const parsed = new DOMParser().parseFromString(chart.svg, 'image/svg+xml');
  const drawing = parsed.querySelector('parsererror')
    ? el('p', { class: 'refused', text: 'This chart could not be drawn; its table follows.' })
    : document.importNode(parsed.documentElement, true);
  const table = el('table', { class: 'chart-table' }, el('caption', { text: chart.title }),
    el('thead', {}, el('tr', {}, ...chart.columns.map(c => el('th', { scope: 'col', text: c })))));
  const rows = el('tbody');
  for (const row of chart.rows) rows.append(el('tr', {}, el('th', { scope: 'row', text: row[0] }), ...row.slice(1).map(c => el('td', { text: c }))));
  table.append(rows);
  return el('figure', { class: 'chart-figure', 'data-chart': chart.id, 'aria-labelledby': `${chart.id}-caption` },
    el('figcaption', { id: `${chart.id}-caption` }, el('strong', { text: chart.title }), el('span', { class: 'muted', text: ` ${chart.summary}` })),
    drawing,
    el('details', { class: 'chart-data' }, el('summary', { text: `${chart.title}: the figures as a table` }), el('div', { class: 'table-scroll' }, table)));
}
