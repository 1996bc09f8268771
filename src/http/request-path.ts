/**
 * The path of a request, never throwing. Bun builds `request.url` from the `Host` header, so a
 * malformed one (`a b`, `[::1`, port 99999) makes `new URL(request.url)` throw, and a few make
 * the URL relative; such a request is refused in admission, but its refusal and its log line still
 * need a path.
 */
export function pathOf(request: Request): string {
  try {
    return new URL(request.url, 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

/**
 * The `Host` a request addressed. Bun's server always has the header (it refuses a request
 * without one); a request made in-process (`app.handle`) may carry the host in its URL only.
 */
export function hostOf(request: Request): string | null {
  const header = request.headers.get('host');
  if (header !== null) return header;
  try {
    return new URL(request.url).host;
  } catch {
    return null;
  }
}
