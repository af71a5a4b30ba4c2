/**
 * JSON Schema validation of event payloads with Ajv (30-process-registry §3.3 step 6). Compiled
 * validators are cached by the schema's canonical JSON. `{}` accepts anything; a schema with a
 * non-local `$ref` is refused (the registry never fetches or resolves outside schemas).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { canonicalJson, type JsonValue } from '../../json.js';

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
const cache = new Map<string, ValidateFunction | string>();
const MAX_CACHE = 512;

function nonLocalRef(schema: JsonValue): string | null {
  if (Array.isArray(schema)) {
    for (const item of schema) {
      const found = nonLocalRef(item);
      if (found !== null) return found;
    }
    return null;
  }
  if (schema === null || typeof schema !== 'object' || schema instanceof Uint8Array) return null;
  for (const [key, value] of Object.entries(schema)) {
    if ((key === '$ref' || key === '$dynamicRef') && typeof value === 'string' && !value.startsWith('#')) return value;
    const found = nonLocalRef(value);
    if (found !== null) return found;
  }
  return null;
}

function compile(schema: JsonValue): ValidateFunction | string {
  const key = canonicalJson(schema);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let compiled: ValidateFunction | string;
  const ref = nonLocalRef(schema);
  if (ref !== null) compiled = `payload schema has a non-local $ref \`${ref}\``;
  else if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
    compiled = 'payload schema must be an object or a boolean';
  } else {
    try {
      compiled = ajv.compile(schema as object | boolean);
    } catch (error) {
      compiled = `invalid payload schema: ${(error as Error).message}`;
    }
  }
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/** Null when `payload` satisfies `schema`, else a free-form description of the failure. */
export function payloadSchemaProblem(schema: JsonValue, payload: JsonValue): string | null {
  if (schema !== null && typeof schema === 'object' && !Array.isArray(schema) && Object.keys(schema).length === 0) return null;
  const validate = compile(schema);
  if (typeof validate === 'string') return validate;
  if (validate(payload)) return null;
  return ajv.errorsText(validate.errors, { dataVar: 'payload' });
}
