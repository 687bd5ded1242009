import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanSchemaForAnthropic,
  cleanSchemaForGeminiJson,
  cleanSchemaForGeminiOpenApi,
  cleanSchemaForOpenAi,
  inlineRefs,
  type JsonObject,
} from '../src';

const claudeCodeRead: JsonObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    file_path: { description: 'The absolute path', type: 'string' },
    limit: { type: 'integer', exclusiveMinimum: 0, maximum: 9007199254740991 },
    $schema: { type: 'string', description: 'a property that happens to be called $schema' },
  },
  required: ['file_path'],
  additionalProperties: false,
};

describe('schema cleaning', () => {
  it('drops $schema for OpenAI and Anthropic but keeps a property named $schema', () => {
    for (const clean of [cleanSchemaForOpenAi, cleanSchemaForAnthropic]) {
      const s = clean(claudeCodeRead);
      assert.equal(s.$schema, undefined);
      assert.deepEqual((s.properties as JsonObject).$schema, {
        type: 'string',
        description: 'a property that happens to be called $schema',
      });
      assert.equal(s.additionalProperties, false);
    }
  });

  it('gives an empty or untyped root an object type', () => {
    assert.deepEqual(cleanSchemaForAnthropic({}), { type: 'object', properties: {} });
  });

  it('merges a root union into one object (Anthropic rejects root anyOf)', () => {
    const s = cleanSchemaForAnthropic({
      anyOf: [
        { type: 'object', properties: { a: { type: 'string' } } },
        { type: 'object', properties: { b: { type: 'number' } } },
      ],
    });
    assert.deepEqual(s, { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } } });
  });

  it('inlines $ref from $defs and definitions, and cuts recursion', () => {
    const s = inlineRefs({
      type: 'object',
      properties: { p: { $ref: '#/$defs/Point', description: 'where' }, n: { $ref: '#/definitions/Node' } },
      $defs: { Point: { type: 'object', properties: { x: { type: 'number' } } } },
      definitions: { Node: { type: 'object', properties: { next: { $ref: '#/definitions/Node' } } } },
    });
    assert.deepEqual(s, {
      type: 'object',
      properties: {
        p: { type: 'object', properties: { x: { type: 'number' } }, description: 'where' },
        n: { type: 'object', properties: { next: {} } },
      },
    });
  });

  it('Gemini JSON-schema mode keeps additionalProperties but removes $schema and refs', () => {
    const s = cleanSchemaForGeminiJson({
      ...claudeCodeRead,
      $defs: { A: { type: 'string' } },
      properties: { a: { $ref: '#/$defs/A' } },
    });
    assert.deepEqual(s, {
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['file_path'],
      additionalProperties: false,
    });
  });

  it('Gemini OpenAPI mode keeps only the keywords Gemini accepts', () => {
    const s = cleanSchemaForGeminiOpenApi({
      $schema: 'x',
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: ['string', 'null'], format: 'email', minLength: 1 },
        when: { type: 'string', format: 'date-time' },
        kind: { const: 'fixed' },
        count: { type: 'integer', exclusiveMinimum: 0, propertyNames: { pattern: 'x' } },
        level: { enum: [1, 2] },
        either: { oneOf: [{ type: 'string' }, { type: 'null' }] },
      },
      required: ['name', 'missing'],
    });
    assert.deepEqual(s, {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, nullable: true },
        when: { type: 'string', format: 'date-time' },
        kind: { enum: ['fixed'], type: 'string' },
        count: { type: 'integer', minimum: 0 },
        level: { enum: ['1', '2'], type: 'string' },
        either: { type: 'string', nullable: true },
      },
      required: ['name'],
    });
  });
});
