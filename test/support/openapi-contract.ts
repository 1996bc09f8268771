import Ajv, { type ValidateFunction } from 'ajv';

/**
 * Checks HTTP requests and responses against an OpenAPI 3.0 document: the path and method must
 * exist, path and query parameters must be declared and of their type, and JSON bodies must match
 * their schemas. Used by stand-ins so that they accept exactly what the real service documents.
 */
interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  parameters: { name: string; in: string; required?: boolean; schema?: { type?: string } }[];
  request?: ValidateFunction;
  requestRequired: boolean;
  responses: Map<string, ValidateFunction>;
}

type Json = Record<string, unknown>;

export class OpenApiContract {
  private readonly operations: Operation[] = [];

  constructor(spec: Json) {
    // OpenAPI 3.0 writes "may be null" as a bare `{nullable: true}` inside anyOf; JSON Schema
    // (and Ajv) read a bare nullable as "anything". Make it `{type: 'null'}` so it means null.
    const document = fixNullable(structuredClone(spec)) as Json;
    const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
    // The formats the document uses. Numeric ones bound integers (a point id of -1 or 1.5 is not a
    // uint64); uuid and date-time check strings; others are only documentation.
    const integer = (min: number) => ({
      type: 'number' as const,
      validate: (n: number) => Number.isInteger(n) && n >= min,
    });
    for (const f of ['uint', 'uint8', 'uint16', 'uint32', 'uint64', 'usize']) ajv.addFormat(f, integer(0));
    for (const f of ['int32', 'int64']) ajv.addFormat(f, integer(Number.MIN_SAFE_INTEGER));
    for (const f of ['float', 'double'])
      ajv.addFormat(f, { type: 'number', validate: (n: number) => Number.isFinite(n) });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i);
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\d/.test(s));
    ajv.addFormat('partial-date-time', () => true);
    ajv.addSchema({ $id: 'spec', components: document.components }, 'spec');
    const compile = (schema: unknown) => ajv.compile({ $id: undefined, ...(rebase(schema) as Json) });

    for (const [template, methods] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      for (const [method, op] of Object.entries(methods)) {
        const body = (op.requestBody as Json | undefined)?.content as Record<string, { schema: unknown }> | undefined;
        const responses = new Map<string, ValidateFunction>();
        for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
          const schema = (r.content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema;
          if (schema) responses.set(status, compile(schema));
        }
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern,
          parameters: (op.parameters ?? []) as Operation['parameters'],
          request: body?.['application/json'] ? compile(body['application/json'].schema) : undefined,
          requestRequired: Boolean((op.requestBody as Json | undefined)?.required),
          responses,
        });
      }
    }
  }

  /** The operation for a method and path, with its path parameters. */
  find(method: string, pathname: string): { operation: Operation; path: Record<string, string> } | null {
    for (const operation of this.operations) {
      if (operation.method !== method) continue;
      const m = operation.pattern.exec(pathname);
      if (!m) continue;
      const names = [...operation.template.matchAll(/\{([^}]+)\}/g)].map((x) => x[1] as string);
      return { operation, path: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] as string)])) };
    }
    return null;
  }

  /** Everything wrong with a request; an empty list means the contract accepts it. */
  checkRequest(method: string, url: URL, body: unknown): string[] {
    const found = this.find(method, url.pathname);
    if (!found) return [`${method} ${url.pathname} is not in the API`];
    const { operation } = found;
    const errors: string[] = [];
    for (const [name, value] of url.searchParams) {
      const param = operation.parameters.find((p) => p.in === 'query' && p.name === name);
      if (!param) errors.push(`query parameter "${name}" is not defined for ${method} ${operation.template}`);
      else if (param.schema?.type === 'boolean' && !['true', 'false'].includes(value))
        errors.push(`query parameter "${name}" must be a boolean`);
      else if (param.schema?.type === 'integer' && !/^\d+$/.test(value))
        errors.push(`query parameter "${name}" must be an integer`);
    }
    if (operation.request && body !== undefined && !operation.request(body)) {
      errors.push(`body of ${method} ${operation.template}: ${describe(operation.request)}`);
    }
    if (operation.requestRequired && body === undefined)
      errors.push(`${method} ${operation.template} needs a JSON body`);
    return errors;
  }

  checkResponse(method: string, url: URL, status: number, body: unknown): string[] {
    const found = this.find(method, url.pathname);
    if (!found) return [`${method} ${url.pathname} is not in the API`];
    const validate = found.operation.responses.get(String(status)) ?? found.operation.responses.get('default');
    if (!validate)
      return status === 200 ? [`no 200 response documented for ${method} ${found.operation.template}`] : [];
    return validate(body) ? [] : [`response ${status} of ${method} ${found.operation.template}: ${describe(validate)}`];
  }
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
    .join('; ');
}

function fixNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fixNullable);
  if (node && typeof node === 'object') {
    const obj = node as Json;
    const keys = Object.keys(obj).filter((k) => k !== 'description' && k !== 'default');
    if (obj.nullable === true && keys.length === 1) return { type: 'null' };
    for (const k of Object.keys(obj)) obj[k] = fixNullable(obj[k]);
  }
  return node;
}

/** `#/components/...` refs inside an operation point into the registered `spec` document. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json))
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `spec${v}` : rebase(v);
    return out;
  }
  return node;
}
