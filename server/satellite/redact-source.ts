/** A source as safe to store and show: a URL's password and query values masked (signed URLs). */
export function redactSource(source: string): string {
  if (!/^https?:/i.test(source)) return source;
  try {
    const url = new URL(source);
    if (url.password !== '') url.password = '***';
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return source;
  }
}
