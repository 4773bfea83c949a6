/**
 * Key order: storage lists keys in the byte order of their UTF-8 encoding, as etcd and SQLite's BINARY collation
 * do. JavaScript's `<` on strings compares UTF-16 code units, which disagrees with UTF-8 byte order for characters
 * outside the Basic Multilingual Plane, so backends that sort in JavaScript use `compareKeys`.
 */

/** compareKeys orders two keys by the bytes of their UTF-8 encoding (negative, zero or positive, like a sort comparator). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Comparing code points gives UTF-8 byte order; only surrogates (0xD800-0xDFFF) need the full code point,
    // because as UTF-16 units they sort below 0xE000-0xFFFF while their code points sort above.
    const surrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdfff;
    if (!surrogate(x) && !surrogate(y)) return x - y;
    return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
  }
  return a.length - b.length;
}

