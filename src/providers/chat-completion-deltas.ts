import OpenAI from 'openai';
import { isAbortError } from '../errors.ts';

/**
 * The text of a streamed `chat.completion.chunk` response, fragment by fragment: what the `openai`
 * package's `Stream` yields, read in one loop. The package's reader passes each fragment through
 * four async generators (bytes, lines, events, chunks), which was an eighth of the server's CPU per
 * streamed answer; the request itself (URL, headers, retries, HTTP errors) stays the package's.
 *
 * Same contract as the package's reader: Server-Sent Events per the WHATWG spec (lines ending in
 * LF, CRLF or CR; `data:` lines joined by LF; comments and other fields ignored); `[DONE]` ends the
 * answer; a chunk carrying `error`, or an `error` event, throws the package's `APIError`; an aborted
 * request ends the fragments quietly (the caller checks its signal); leaving early cancels the body,
 * which closes the upstream request. Long because it is one parser's state machine over the
 * stream's lines; its cases are the spec's, side by side.
 */
export async function* chatCompletionDeltas(response: Response): AsyncGenerator<string> {
  const body = response.body;
  if (!body) throw new OpenAI.OpenAIError('The streamed response had no body.');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = '';
  let hasData = false;
  let event: string | null = null;
  let finished = false;
  let ended = false;
  try {
    while (!ended) {
      const read = await reader.read();
      ended = read.done;
      buffer += ended ? decoder.decode() : decoder.decode(read.value, { stream: true });
      let start = 0;
      while (start < buffer.length) {
        const lf = buffer.indexOf('\n', start);
        const cr = buffer.indexOf('\r', start);
        let end = lf;
        let next = lf + 1;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          // A CR ends the line; a CR at the very end may be the first half of a CRLF still to come.
          if (cr === buffer.length - 1 && !ended) break;
          end = cr;
          next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        }
        if (end === -1) break;
        const line = buffer.slice(start, end);
        start = next;
        if (line === '') {
          // A blank line dispatches the event gathered so far.
          if (hasData && !finished) {
            if (data.startsWith('[DONE]')) finished = true;
            else {
              const text = deltaText(data, event, response);
              if (text) yield text;
            }
          }
          data = '';
          hasData = false;
          event = null;
          continue;
        }
        if (line.charCodeAt(0) === 58) continue; // ':' starts a comment (a keep-alive)
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.charCodeAt(0) === 32) value = value.slice(1);
        if (field === 'data') {
          data = hasData ? `${data}\n${value}` : value;
          hasData = true;
        } else if (field === 'event') event = value;
      }
      buffer = start === 0 ? buffer : buffer.slice(start);
    }
  } catch (error) {
    // As the package does: an aborted request is the caller's doing, and the caller says so.
    if (isAbortError(error)) return;
    throw error;
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
  }
}

function deltaText(data: string, event: string | null, response: Response): string | undefined {
  const parsed = JSON.parse(data) as {
    error?: unknown;
    message?: string;
    choices?: { delta?: { content?: string | null } }[];
  } | null;
  if (event === 'error') {
    throw new OpenAI.APIError(undefined, parsed?.error as object | undefined, parsed?.message, undefined);
  }
  if (parsed?.error) throw new OpenAI.APIError(undefined, parsed.error as object, undefined, response.headers);
  // Other event types (an Assistants `thread.*` event) are not chat chunks.
  if (event?.startsWith('thread.')) return undefined;
  return parsed?.choices?.[0]?.delta?.content ?? undefined;
}
