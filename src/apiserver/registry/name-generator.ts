/**
 * Names for `metadata.generateName`: the prefix plus five random characters from upstream's alphabet (no vowels,
 * no look-alikes), with the prefix cut so the whole name stays within 63 characters.
 */

/** NAME_ALPHABET is the character set of generated suffixes. */
export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** NAME_SUFFIX_LENGTH is the number of random characters appended. */
export const NAME_SUFFIX_LENGTH = 5;
const MAX_GENERATED_NAME_LENGTH = 63;

/** generateName returns `base` (cut to fit) plus a random suffix; `random` returns numbers in [0, 1). */
export function generateName(base: string, random: () => number = Math.random): string {
  const cut = base.length > MAX_GENERATED_NAME_LENGTH - NAME_SUFFIX_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH - NAME_SUFFIX_LENGTH) : base;
  let suffix = '';
  for (let i = 0; i < NAME_SUFFIX_LENGTH; i++) suffix += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)] ?? 'x';
  return cut + suffix;
}
