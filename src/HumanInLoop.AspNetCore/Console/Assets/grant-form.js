// "Don't ask again": with an approval, a standing grant for the same tool (whose calls, how long, bounds on the arguments).
// It is the decision's own grant request; the server checks that the approver may grant and what the bounds say.
import { el } from './view.js';
import { ExactNumber } from './exact-json.js';

const durations = [['PT1H', '1 hour'], ['PT8H', '8 hours'], ['P1D', '1 day'], ['P7D', '7 days'], ['P30D', '30 days']];
const scopes = [['user', 'this user\'s calls'], ['conversation', 'this conversation\'s calls'], ['tenant', 'every call in this tenant']];
const numberText = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export function grantForm(call, key) {
  const on = el('input', { type: 'checkbox', class: 'grant-on', id: `${key}-grant` });
  const scope = el('select', { class: 'grant-scope', id: `${key}-grant-scope` }, ...scopes.map(([v, t]) => el('option', { value: v, text: t })));
  const duration = el('select', { class: 'grant-duration', id: `${key}-grant-duration` }, ...durations.map(([v, t]) => el('option', { value: v, text: t })));
  duration.value = 'PT8H';
  const error = el('p', { class: 'field-error', 'aria-live': 'polite' });
  const bounds = [];
  const boundList = el('ul', { class: 'grant-bounds' });
  const args = call.arguments && typeof call.arguments === 'object' && !Array.isArray(call.arguments) ? call.arguments : {};
  for (const [name, value] of Object.entries(args)) {
    const id = `${key}-bound-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');
    if (typeof value === 'number' || value instanceof ExactNumber) {
      const input = el('input', { id, class: 'grant-at-most', inputmode: 'decimal', autocomplete: 'off' });
      bounds.push(() => {
        const text = input.value.trim();
        if (!text) return null;
        if (!numberText.test(text)) throw new Error(`"${name}" at most: write a number, such as ${String(value)}.`);
        return { name, atMost: new ExactNumber(text) };
      });
      boundList.append(el('li', {}, el('label', { for: id, text: `${name} at most (empty: any)` }), input));
    } else if (value !== null && typeof value !== 'object') {
      const box = el('input', { type: 'checkbox', id, class: 'grant-equal', checked: true });
      bounds.push(() => (box.checked ? { name, equal: value } : null));
      boundList.append(el('li', { class: 'check' }, box, el('label', { for: id, text: ` ${name} must be ${JSON.stringify(value)}` })));
    }
  }
  const root = el('details', { class: 'grant' }, el('summary', { text: 'Don\'t ask again' }),
    el('div', { class: 'check' }, on, el('label', { for: on.id, text: ` With this approval, also allow later ${call.toolName} calls without asking` })),
    el('div', { class: 'field' }, el('label', { for: scope.id, text: 'Whose calls' }), scope),
    el('div', { class: 'field' }, el('label', { for: duration.id, text: 'For how long' }), duration),
    bounds.length ? el('p', { class: 'muted', text: 'Only calls whose arguments keep within:' }) : null, bounds.length ? boundList : null, error);

  // The grant of the approval body, {} without one, or null (and a message beside the field) when it cannot be sent.
  const read = () => {
    error.textContent = '';
    if (!on.checked) return {};
    try {
      return { grant: { scope: scope.value, duration: duration.value, argumentBounds: bounds.map(b => b()).filter(Boolean) } };
    } catch (problem) {
      error.textContent = problem.message;
      root.open = true;
      return null;
    }
  };
  return { root, read, error };
}
