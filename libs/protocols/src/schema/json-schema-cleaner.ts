import type { JsonObject, JsonValue } from '../ir/common';

// Tool and output schemas come from clients written for one vendor and go to another. Each target rejects a
// different part of JSON Schema; these functions make a schema acceptable without changing the shape of the
// arguments the model produces.

type Schema = { [key: string]: JsonValue };

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

const META_KEYS = ['$schema', '$id', '$comment'];

/** Resolves local `$ref`s (`#/$defs/X`, `#/definitions/X`) by inlining; recursive references become `{}`. */
export const inlineRefs = (schema: JsonObject): JsonObject => {
  const defs: Record<string, JsonValue> = {
    ...(isSchema(schema.definitions) ? schema.definitions : {}),
    ...(isSchema(schema.$defs) ? schema.$defs : {}),
  };
  const walk = (node: JsonValue, stack: readonly string[]): JsonValue => {
    if (Array.isArray(node)) return node.map((n) => walk(n, stack));
    if (!isSchema(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
      const name = m?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
      const target = name === undefined ? undefined : defs[name];
      const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref'));
      if (name === undefined || target === undefined || stack.includes(name) || !isSchema(target)) {
        // Unresolvable or recursive: keep the sibling keywords (description …) and accept anything.
        return walk(rest, stack);
      }
      return walk({ ...target, ...rest }, [...stack, name]);
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$defs' || k === 'definitions') continue;
      out[k] = walk(v, stack);
    }
    return out;
  };
  return walk(schema, []) as JsonObject;
};

const stripKeys = (node: JsonValue, keys: readonly string[]): JsonValue => {
  if (Array.isArray(node)) return node.map((n) => stripKeys(n, keys));
  if (!isSchema(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (keys.includes(k)) continue;
    // Do not treat a property literally named like a keyword as a keyword.
    out[k] = k === 'properties' && isSchema(v) ? mapValues(v, (p) => stripKeys(p, keys)) : stripKeys(v, keys);
  }
  return out;
};

const mapValues = (o: Schema, f: (v: JsonValue) => JsonValue): Schema =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/**
 * Tool parameters must be an object schema at the root (Anthropic rejects root `anyOf`/`oneOf`, OpenAI requires
 * `type: "object"`). A root union of object schemas is merged into one object whose properties are all optional.
 */
export const ensureObjectRoot = (schema: JsonObject): JsonObject => {
  const out: Schema = { ...schema };
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = out[key];
    if (!Array.isArray(branches)) continue;
    delete out[key];
    const props: Schema = isSchema(out.properties) ? { ...out.properties } : {};
    for (const b of branches) if (isSchema(b) && isSchema(b.properties)) Object.assign(props, b.properties);
    out.properties = props;
    if (key === 'allOf') {
      const required = branches.flatMap((b) => (isSchema(b) && Array.isArray(b.required) ? b.required : []));
      if (required.length > 0) out.required = [...new Set(required.filter((r) => typeof r === 'string'))];
    }
  }
  if (out.type !== 'object') out.type = 'object';
  if (!isSchema(out.properties)) out.properties = {};
  return out;
};

/** OpenAI function `parameters`: JSON Schema with `$defs` allowed; drop meta keywords, object root. */
export const cleanSchemaForOpenAi = (schema: JsonObject): JsonObject =>
  ensureObjectRoot(stripKeys(schema, META_KEYS) as JsonObject);

/** Anthropic `input_schema`: draft 2020-12, object root; `$schema` dropped (a draft-07 URI would be rejected). */
export const cleanSchemaForAnthropic = (schema: JsonObject): JsonObject =>
  ensureObjectRoot(stripKeys(schema, META_KEYS) as JsonObject);

/**
 * Gemini `parametersJsonSchema` / `responseJsonSchema`: JSON Schema, but `$ref`/`$defs` support is not
 * documented, so references are inlined; meta keywords are dropped.
 */
export const cleanSchemaForGeminiJson = (schema: JsonObject): JsonObject =>
  stripKeys(inlineRefs(schema), META_KEYS) as JsonObject;

// Keywords of Gemini's OpenAPI-3.0 `Schema` subset; anything else is a 400 "Unknown name".
const GEMINI_OPENAPI_KEYS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'propertyOrdering',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'anyOf',
  'default',
  'example',
]);
const GEMINI_FORMATS: Record<string, readonly string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};

/**
 * Gemini `parameters` (OpenAPI subset): refs inlined, `type: [x, "null"]` → `type: x, nullable`, `const` → one-value
 * `enum`, `oneOf` → `anyOf`, `allOf` merged, exclusive bounds → inclusive, formats Gemini rejects dropped, enum
 * values made strings, and every other keyword (`additionalProperties`, `$schema`, `propertyNames` …) removed.
 */
export const cleanSchemaForGeminiOpenApi = (schema: JsonObject): JsonObject => {
  const convert = (node: JsonValue): JsonValue => {
    if (!isSchema(node)) return node;
    let s: Schema = { ...node };
    if (Array.isArray(s.allOf)) {
      const merged: Schema = {};
      for (const b of s.allOf) if (isSchema(b)) Object.assign(merged, b);
      delete s.allOf;
      s = { ...merged, ...s };
    }
    if (Array.isArray(s.oneOf) && s.anyOf === undefined) s.anyOf = s.oneOf;
    if (s.const !== undefined && s.enum === undefined) s.enum = [s.const];
    if (typeof s.exclusiveMinimum === 'number' && s.minimum === undefined) s.minimum = s.exclusiveMinimum;
    if (typeof s.exclusiveMaximum === 'number' && s.maximum === undefined) s.maximum = s.exclusiveMaximum;
    if (Array.isArray(s.type)) {
      const types = s.type.filter((t): t is string => typeof t === 'string');
      const nonNull = types.filter((t) => t !== 'null');
      if (types.includes('null')) s.nullable = true;
      if (nonNull.length === 1) s.type = nonNull[0] as string;
      else {
        delete s.type;
        if (nonNull.length > 1) s.anyOf = nonNull.map((t) => ({ type: t }));
      }
    }
    if (Array.isArray(s.anyOf)) {
      // `{anyOf:[X, {type:null}]}` is the usual way to say nullable.
      const withoutNull = s.anyOf.filter((b) => !(isSchema(b) && b.type === 'null'));
      if (withoutNull.length !== s.anyOf.length) s.nullable = true;
      s.anyOf = withoutNull;
      if (withoutNull.length === 1 && isSchema(withoutNull[0])) {
        const only = withoutNull[0];
        delete s.anyOf;
        s = { ...only, ...s };
      }
    }
    if (typeof s.format === 'string') {
      const allowed = typeof s.type === 'string' ? GEMINI_FORMATS[s.type] : undefined;
      if (!allowed?.includes(s.format)) delete s.format;
    }
    if (Array.isArray(s.enum)) {
      s.enum = s.enum.filter((v) => v !== null).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      if (s.type === undefined || s.type !== 'string') s.type = 'string';
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(s)) {
      if (!GEMINI_OPENAPI_KEYS.has(k)) continue;
      if (k === 'properties' && isSchema(v)) out[k] = mapValues(v, convert);
      else if (k === 'items') out[k] = convert(v);
      else if (k === 'anyOf' && Array.isArray(v)) out[k] = v.map(convert);
      else out[k] = v;
    }
    if (Array.isArray(out.required) && isSchema(out.properties)) {
      const props = out.properties;
      out.required = out.required.filter((r) => typeof r === 'string' && r in props);
    }
    return out;
  };
  return convert(inlineRefs(schema)) as JsonObject;
};
