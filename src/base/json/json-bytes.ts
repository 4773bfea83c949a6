/**
 * The bytes of JSON's structural characters (and the string escape), for the scanners that walk JSON text as bytes
 * without parsing it: the request body's structure checks, the stored object's metadata search, the watch cache's
 * segment cut, the list body's separators.
 */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
