/**
 * List filters as typed after `/`: space-separated terms, all of which must match. A plain term
 * matches any field; `field:value` (e.g. `backend:github outcome:error`) matches that field only.
 * Case-insensitive substring matching: what people expect from a search box.
 */
export function matchesFilter(fields: Readonly<Record<string, string | undefined>>, query: string): boolean {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  return terms.every((term) => {
    const colon = term.indexOf(':');
    if (colon > 0) {
      const field = term.slice(0, colon);
      const value = term.slice(colon + 1);
      if (field in fields) return (fields[field] ?? '').toLowerCase().includes(value);
    }
    return Object.values(fields).some((v) => v !== undefined && v.toLowerCase().includes(term));
  });
}
