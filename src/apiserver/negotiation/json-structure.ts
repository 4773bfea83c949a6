/**
 * Structural checks on JSON text that JSON.parse does not make: nesting depth (a deeply nested body would overflow
 * the recursion of later stages) and duplicate object fields (JSON.parse silently keeps the last one, but
 * `fieldValidation=Strict` must reject them). Both scans are single passes without allocation per character.
 */
import { QUOTE, BACKSLASH, COMMA, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } from '../../base/json/json-bytes.js';

/** MAX_JSON_DEPTH bounds the nesting of objects and arrays in a request body. */
export const MAX_JSON_DEPTH = 1000;

/**
 * jsonDepthExceeds tells whether any object or array in `text` nests deeper than `maxDepth`. Works on invalid JSON
 * too (it only tracks strings and brackets), so it can run before JSON.parse.
 */
export function jsonDepthExceeds(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * valueDepthExceeds is jsonDepthExceeds for an already decoded value (e.g. from YAML). Iterative, so it cannot
 * overflow the stack itself.
 */
export function valueDepthExceeds(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    if (top.v === null || typeof top.v !== 'object') continue;
    const d = top.d + 1;
    if (d > maxDepth) return true;
    const children = Array.isArray(top.v) ? top.v : Object.values(top.v);
    for (const child of children) stack.push({ v: child, d });
  }
  return false;
}

interface Frame {
  readonly isObject: boolean;
  readonly path: string;
  readonly keys: Set<string> | undefined;
  index: number;
  expectKey: boolean;
  pendingKey: string;
}

function childPath(parent: Frame | undefined): string {
  if (!parent) return '';
  if (parent.isObject) return parent.path === '' ? parent.pendingKey : `${parent.path}.${parent.pendingKey}`;
  return `${parent.path}[${parent.index}]`;
}

/**
 * findDuplicateJsonFields returns the paths of fields that appear more than once in the same object of `text`,
 * in document order, e.g. `["spec.replicas", "spec.template.spec.containers[0].name"]`. `text` must be valid JSON
 * (call it after JSON.parse succeeded); the result for invalid JSON is unspecified but the scan terminates.
 */
export function findDuplicateJsonFields(text: string): string[] {
  const found: string[] = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      if (top?.isObject && top.expectKey) {
        const raw = text.slice(start, i + 1);
        let key = raw.slice(1, -1);
        if (escaped) {
          try {
            key = JSON.parse(raw) as string;
          } catch {
            // Invalid escapes: keep the raw spelling; the caller's JSON.parse reports the real error.
          }
        }
        top.pendingKey = key;
        top.expectKey = false;
        const keys = top.keys;
        if (keys) {
          if (keys.has(key)) found.push(top.path === '' ? key : `${top.path}.${key}`);
          else keys.add(key);
        }
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const isObject = c === OPEN_BRACE;
      stack.push({ isObject, path: childPath(top), keys: isObject ? new Set() : undefined, index: 0, expectKey: isObject, pendingKey: '' });
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
    } else if (c === COMMA && top) {
      if (top.isObject) top.expectKey = true;
      else top.index++;
    } else if (c === COLON && top?.isObject) {
      top.expectKey = false;
    }
  }
  return found;
}
