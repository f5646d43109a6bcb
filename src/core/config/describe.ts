import type { z } from 'zod';

/** One line naming the key, the value given and what was expected. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `unknown key ${issue.keys.map((k) => `"${[...issue.path, k].join('.')}"`).join(', ')}`;
  }
  const value = valueAt(input, issue.path);
  const got = value === undefined ? 'nothing' : `${shorten(JSON.stringify(value))} (${typeOf(value)})`;
  return `"${key}" is ${got}; expected ${expected(issue)}`;
}

function expected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // A schema's own wording (e.g. `model`: an id or a group) says more than the bare type.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      return issue.expected === 'int' ? 'a whole number' : `${/^[aeiou]/u.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${String(issue.minimum)} item(s)` : `a value ≥ ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' ? `at most ${String(issue.maximum)} item(s)` : `a value ≤ ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'a URL such as "http://localhost:11434/v1"' : issue.message;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, pathParts: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of pathParts) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

/** A long value (a prompt template) is shown by its start: the line must stay readable. */
function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
