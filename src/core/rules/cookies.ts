/**
 * The `cookie` header as a map of name to value, for cookie conditions of coloring rules. Linear in
 * the header's length; the first of repeated names wins; never throws.
 * @packageDocumentation
 */

/** Parses a `cookie` header (`a=1; b="2"`): values unquoted and percent-decoded when valid. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name.length === 0 || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Keep the raw value when it is not valid percent-encoding.
    }
    out.set(name, value);
  }
  return out;
}
