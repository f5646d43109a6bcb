type Schema = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Schema }> }> }>> };

/** The documented path template (`/api/photos/{id}`) a concrete path matches. */
export function templateOf(doc: Doc, pathname: string): string | undefined {
  return Object.keys(doc.paths).find((template) =>
    new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`).test(pathname),
  );
}

/**
 * What is wrong with an answer by the document: its route, its status, and for JSON its body against the
 * response schema (type, const, enum, required, properties, items, additionalProperties, $ref). Empty when it matches.
 */
export function responseProblems(doc: Doc, method: string, pathname: string, status: number, body: unknown): string[] {
  const template = templateOf(doc, pathname);
  if (!template) return [`${method} ${pathname}: no such path in the document`];
  const operation = doc.paths[template]![method.toLowerCase()];
  if (!operation) return [`${method} ${template}: not documented`];
  const response = operation.responses[String(status)];
  if (!response) return [`${method} ${template}: status ${status} not documented`];
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return [];
  const problems: string[] = [];
  check(doc as unknown as Schema, schema, body, `${method} ${template} ${status}`, problems);
  return problems;
}

function resolve(doc: Schema, schema: Schema): Schema {
  const ref = schema.$ref as string | undefined;
  if (!ref) return schema;
  return ref
    .slice(2)
    .split('/')
    .reduce<Schema>((node, key) => node[key] as Schema, doc);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function check(doc: Schema, raw: Schema, value: unknown, at: string, problems: string[]): void {
  const schema = resolve(doc, raw);
  if ('const' in schema && value !== schema.const) problems.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} not in ${schema.enum.join(', ')}`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      problems.push(`${at}: ${actual} where ${types.join(' or ')} is documented`);
      return;
    }
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? [])
      if (!(name in object)) problems.push(`${at}: required "${name}" missing`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [name, item] of Object.entries(object)) {
      if (properties[name]) check(doc, properties[name], item, `${at}.${name}`, problems);
      else if (typeof schema.additionalProperties === 'object')
        check(doc, schema.additionalProperties as Schema, item, `${at}.${name}`, problems);
      else if (schema.additionalProperties === false) problems.push(`${at}: "${name}" is not documented`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => check(doc, schema.items as Schema, item, `${at}[${i}]`, problems));
}
