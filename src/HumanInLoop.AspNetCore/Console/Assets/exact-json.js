// JSON as the server sent it. A JavaScript number holds about 16 significant digits: parsed the usual way, an amount of
// 1234567890123456789012345.678 would show rounded while the server runs the exact value. An approver must see what will
// run, so a number that a JavaScript number would change is kept as its text (ExactNumber), shown and sent back as is.

// The value of a JSON number's text, written one way: sign, digits without leading or trailing zeros, exponent.
function canonical(text) {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  return `${sign}${digits}e${power}`;
}

export class ExactNumber {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
  toJSON() { return JSON.rawJSON(this.text); }
}

// JSON.parse, except that numbers JavaScript would round come back as ExactNumber (the reviver's source text).
export function parseExactJson(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === 'number' && typeof context?.source === 'string' && canonical(context.source) !== canonical(String(value))
      ? new ExactNumber(context.source)
      : value);
}

// The text of a JSON value with every number exact.
export function toExactJson(value, indent) {
  return JSON.stringify(value, null, indent);
}
