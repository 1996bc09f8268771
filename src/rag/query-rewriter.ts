import { formatBudget, withinBudget } from '../deadlines.ts';
import type { ChatTurn } from '../domain.ts';
import { unavailable } from '../errors.ts';
import type { LlmClient } from '../providers/llm-client.ts';
import { contentWords, words } from '../search/text.ts';
import { isWhitespace, trimEndWhere } from '../strings.ts';

/**
 * Follow-up questions ("and how do I configure it?") lose their subject out of context; retrieval
 * needs a standalone question. With a language model, it rewrites the follow-up from the recent
 * conversation. Offline, a heuristic (below) adds the previous question's topic words.
 */
export interface QueryRewriter {
  /** The question to search with; the question itself when it stands alone. */
  rewrite(question: string, history: ChatTurn[], signal?: AbortSignal): Promise<string>;
}

// Words that point back at something said before. Not "there", "one", "that" in the middle of a
// sentence: "Is there a limit?" and "Make sure that…" stand alone.
const ANAPHORA = new Set('it its they them their these those this former latter'.split(' '));
const FOLLOW_UP_OPENERS = /^(and|also|but|so|then|what about|how about|what else|why not|same for)\b/i;

/**
 * Whether the question ends with the word "that" (then perhaps `?`, `.` or `!`), as
 * /\bthat\s*[?.!]*\s*$/i says, read from the end: that expression rescans a long run of
 * spaces after "that" once per space.
 */
export function endsWithThat(question: string): boolean {
  let rest = trimEndWhere(question, isWhitespace);
  rest = trimEndWhere(rest, (ch) => ch === '?' || ch === '.' || ch === '!');
  rest = trimEndWhere(rest, isWhitespace);
  if (rest.slice(-4).toLowerCase() !== 'that') return false;
  const before = rest[rest.length - 5];
  return before === undefined || !/\w/.test(before);
}

/**
 * The offline heuristic. A question is a follow-up when the conversation has a previous question
 * and this one opens like a continuation ("and…", "what about…") or refers back ("it", "those",
 * "…that?"). A follow-up gets the previous question's topic words appended (those it does not
 * already contain), taken from what that question was searched as, so a thread of follow-ups keeps
 * its subject: "How do I configure it?" after "What is the offline mode?" searches for
 * "How do I configure it? offline mode", and "And the defaults?" next keeps "offline mode" too.
 */
export function heuristicRewrite(question: string, history: ChatTurn[]): string {
  const previousTurn = [...history].reverse().find((t) => t.role === 'user');
  if (!previousTurn) return question;
  const previous = previousTurn.searchQuery ?? previousTurn.content;
  const refersBack = words(question).some((w) => ANAPHORA.has(w)) || endsWithThat(question);
  if (!refersBack && !FOLLOW_UP_OPENERS.test(question.trim())) return question;
  const have = new Set(contentWords(question));
  const carried = [...new Set(contentWords(previous))].filter((w) => !have.has(w) && !ANAPHORA.has(w));
  return carried.length > 0 ? `${question} ${carried.join(' ')}` : question;
}

export class HeuristicQueryRewriter implements QueryRewriter {
  async rewrite(question: string, history: ChatTurn[]): Promise<string> {
    return heuristicRewrite(question, history);
  }
}

const REWRITE_INSTRUCTIONS =
  'Rewrite the last user message as one standalone search question that can be understood without ' +
  'the conversation: resolve pronouns and references ("it", "the second one") to what they mean. ' +
  'Keep the language of the message. If it already stands alone, return it unchanged. ' +
  'Answer with the question only: no quotes, no explanation.';

/**
 * The model rewrites; if it fails, answers nonsense or takes longer than `timeoutMs`, the heuristic
 * does. A rewrite only sharpens the search, so it never fails the answer: a hung model is reported
 * by the answer's own first-token budget, in the words that fit ("did not start answering"), and
 * the heuristic's query (the question plus the previous one's topic words) still finds the passages
 * the question as asked would miss.
 */
export class LlmQueryRewriter implements QueryRewriter {
  constructor(
    private readonly llm: LlmClient,
    /** The whole rewrite, the model's retries included. @default 5000 */
    private readonly timeoutMs = 5000,
  ) {}

  async rewrite(question: string, history: ChatTurn[], signal?: AbortSignal): Promise<string> {
    if (!history.some((t) => t.role === 'user')) return question;
    const recent = history
      .slice(-6)
      .map((t) => `${t.role === 'user' ? 'User' : 'Assistant'}: ${t.content.slice(0, 1500)}`);
    const expired = () =>
      unavailable(
        'llm',
        `The language model did not rewrite the follow-up within ${formatBudget(this.timeoutMs)}.`,
        undefined,
        'timeout',
      );
    try {
      const text = await withinBudget(this.timeoutMs, signal, expired, async (bounded) => {
        let text = '';
        for await (const piece of this.llm.stream(
          {
            messages: [
              { role: 'system', content: REWRITE_INSTRUCTIONS },
              { role: 'user', content: `Conversation:\n${recent.join('\n')}\n\nLast user message: ${question}` },
            ],
            passages: [],
            question,
            maxTokens: 120,
          },
          bounded,
        )) {
          text += piece;
        }
        return text;
      });
      const rewritten =
        text
          .trim()
          .replace(/^["'“]|["'”]$/g, '')
          .split('\n')[0]
          ?.trim() ?? '';
      return rewritten.length >= 3 && rewritten.length <= 500 ? rewritten : heuristicRewrite(question, history);
    } catch (error) {
      if (signal?.aborted) throw error;
      return heuristicRewrite(question, history);
    }
  }
}
