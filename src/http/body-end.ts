/**
 * Responses whose body reports its own end. Counting a stream until its body ends otherwise takes
 * a second ReadableStream around the body, which costs a read, a pull and an enqueue per chunk:
 * about 60 a streamed answer. A body that knows when it ends (an SSE stream ends or is cancelled
 * in code we own) says so here instead, and `whenBodyEnds` subscribes to it.
 */
const listeners = new WeakMap<Response, (() => void)[]>();

/**
 * Marks `response` as one whose body calls the returned function once it has been read to the
 * end or cancelled. Calls after the first do nothing.
 */
export function reportsItsEnd(response: Response): () => void {
  const waiting: (() => void)[] = [];
  listeners.set(response, waiting);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    listeners.delete(response);
    for (const listener of waiting.splice(0)) listener();
  };
}

/**
 * The same response, calling `done` once its body has been read to the end or cancelled: the
 * response itself when its body reports its end (or it has none), else one whose body is wrapped.
 */
export function whenBodyEnds(response: Response, done: () => void): Response {
  const waiting = listeners.get(response);
  if (waiting) {
    waiting.push(done);
    return response;
  }
  if (!response.body) {
    done();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          done();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
