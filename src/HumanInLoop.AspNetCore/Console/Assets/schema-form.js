// An edit form generated from a tool's JSON schema: one labelled field per property, checked in the browser before it is
// sent (the server's policies check the arguments again). Numbers are typed and sent as their exact text, never as a
// JavaScript double. Properties the schema does not describe are kept as they were.
import { el } from './view.js';
import { ExactNumber, parseExactJson, toExactJson } from './exact-json.js';

const NumberText = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function typeOf(schema) {
  const type = Array.isArray(schema?.type) ? schema.type.find(t => t !== 'null') : schema?.type;
  return schema?.enum ? 'enum' : type ?? 'json';
}

function fieldFor(name, schema, value, key, required) {
  const id = `${key}-field-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const error = el('span', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
  const type = typeOf(schema);
  let control;
  if (type === 'boolean') {
    control = el('input', { type: 'checkbox', id });
    control.checked = value === true;
  } else if (type === 'enum') {
    control = el('select', { id });
    for (const option of schema.enum) control.append(el('option', { value: JSON.stringify(option), text: String(option) }));
    if (value !== undefined) control.value = JSON.stringify(value);
  } else if (type === 'string' || type === 'number' || type === 'integer') {
    control = el('input', { id, type: 'text', inputmode: type === 'string' ? null : 'decimal', autocomplete: 'off', spellcheck: 'false' });
    control.value = value === undefined || value === null ? '' : String(value);
  } else {
    control = el('textarea', { id, rows: '3', spellcheck: 'false' });
    control.value = value === undefined ? '' : toExactJson(value, 2);
  }
  control.setAttribute('aria-describedby', `${id}-error`);
  control.name = name;
  if (required) control.setAttribute('aria-required', 'true');
  const label = el('label', { for: id, text: `${name}${required ? ' (required)' : ''}${schema?.description ? ` — ${schema.description}` : ''}` });

  // The value to send, or throws a message for the field.
  const read = () => {
    if (type === 'boolean') return control.checked;
    if (type === 'enum') return JSON.parse(control.value);
    const text = control.value;
    if (text.trim() === '') {
      if (required) throw new Error('Required.');
      return undefined;
    }
    if (type === 'string') {
      if (schema.maxLength !== undefined && text.length > schema.maxLength) throw new Error(`At most ${schema.maxLength} characters.`);
      return text;
    }
    if (type === 'number' || type === 'integer') {
      const trimmed = text.trim();
      if (!NumberText.test(trimmed)) throw new Error('Write a number, such as 150 or 150.25.');
      if (type === 'integer' && /[.eE]/.test(trimmed)) throw new Error('Write a whole number.');
      const number = Number(trimmed);
      if (schema.minimum !== undefined && number < schema.minimum) throw new Error(`At least ${schema.minimum}.`);
      if (schema.maximum !== undefined && number > schema.maximum) throw new Error(`At most ${schema.maximum}.`);
      return String(number) === trimmed ? number : new ExactNumber(trimmed);
    }
    try { return parseExactJson(text); } catch (e) { throw new Error(`Not valid JSON: ${e.message}`); }
  };
  return { row: el('div', { class: 'field', 'data-field': name }, label, control, error), read, error, control };
}

// The form, or null when the schema describes no object with properties.
export function schemaForm(schema, args, key) {
  if (typeOf(schema) !== 'object' || !schema.properties || Object.keys(schema.properties).length === 0) return null;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties).map(([name, property]) => [name, fieldFor(name, property, args?.[name], key, required.has(name))]);
  const root = el('div', { class: 'schema-form', role: 'group', 'aria-label': 'Arguments' }, ...fields.map(([, f]) => f.row));
  // The edited arguments, or null after showing each problem beside its field (focus on the first).
  const read = () => {
    const result = { ...args };
    let first = null;
    for (const [name, field] of fields) {
      field.error.textContent = '';
      try {
        const value = field.read();
        if (value === undefined) delete result[name]; else result[name] = value;
      } catch (error) {
        field.error.textContent = error.message;
        first ??= field.control;
      }
    }
    if (first) { first.focus(); return null; }
    return result;
  };
  // A refusal from the server that names one of the fields (quoted, or a name of 4+ letters as a word): shown beside it.
  // A policy's refusal beside the field of the first argument the server named as its cause (none named: not shown here).
  const showRefusal = (message, names) => {
    const named = fields.find(([name]) => (names ?? []).includes(name));
    if (!named) return false;
    named[1].error.textContent = message;
    named[1].control.focus();
    return true;
  };
  return { root, read, showRefusal };
}
