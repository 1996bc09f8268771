import type { Conversation, FeedbackRating, Message, Principal } from '../domain.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import type { AnswerTimings } from '../observability/answer-timings.ts';
import type { ChatRepository } from '../stores/chat-repository.ts';
import { type ChatService, type StartedAnswer, titleFrom } from './chat-service.ts';

export const MAX_TITLE_CHARS = 120;
export const MAX_SEARCH_CHARS = 200;
export const MAX_COMMENT_CHARS = 2000;

/** An answer started again, with the messages it replaced (the page removes their bubbles). */
export interface ReplacedAnswer extends StartedAnswer {
  replaced: string[];
}

/**
 * What people do with their conversations besides asking: rename, search, rate an answer, ask
 * the last question again, edit a question and resend it. Asking again goes through
 * `ChatService.ask`, the one path that stores a question and writes its answer.
 */
export class ConversationTools {
  constructor(
    private readonly repo: ChatRepository,
    private readonly chat: ChatService,
  ) {}

  async rename(userId: string, conversationId: unknown, title: unknown): Promise<Conversation> {
    if (typeof title !== 'string') throw badInput('Send the new title as text, like {"title": "Vacation policy"}.');
    const flat = title.replace(/\s+/g, ' ').trim();
    if (flat === '') throw badInput(say('error.title.empty'));
    if (flat.length > MAX_TITLE_CHARS) {
      // Counts as plain digits, as these sentences have always been written (API clients read them).
      throw badInput(say('error.title.tooLong', { length: String(flat.length), max: String(MAX_TITLE_CHARS) }));
    }
    const conversation = await this.chat.conversationFor(userId, conversationId);
    return (await this.repo.renameConversation(conversation.id, flat)) ?? conversation;
  }

  /** The user's conversations whose title or text contains `text`; all of them for an empty one. */
  async search(userId: string, text: unknown): Promise<Conversation[]> {
    if (text === undefined || text === null) return this.chat.listConversations(userId);
    if (typeof text !== 'string') throw badInput('Search with text, like ?q=vacation.');
    const wanted = text.replace(/\s+/g, ' ').trim();
    if (wanted.length > MAX_SEARCH_CHARS) {
      throw badInput(say('error.search.tooLong', { length: String(wanted.length), max: String(MAX_SEARCH_CHARS) }));
    }
    return wanted === '' ? this.chat.listConversations(userId) : this.repo.searchConversations(userId, wanted);
  }

  /** An answer of the user's own, or a 404 (never a 403: ids are not confirmed). */
  async answerFor(userId: string, messageId: unknown): Promise<Message> {
    const message = await this.chat.messageFor(userId, messageId);
    if (message?.role !== 'assistant') throw notFound('That answer');
    return message;
  }

  /** Thumbs up or down on an answer, with an optional comment; `rating: null` takes it back. */
  async rate(userId: string, messageId: unknown, input: { rating: unknown; comment?: unknown }): Promise<Message> {
    const { rating, comment } = input;
    if (rating !== null && rating !== 'up' && rating !== 'down') {
      throw badInput('The rating must be "up", "down", or null to take it back.');
    }
    if (comment !== undefined && comment !== null && typeof comment !== 'string') {
      throw badInput('The comment must be text.');
    }
    const text = typeof comment === 'string' ? comment.trim() : '';
    if (text.length > MAX_COMMENT_CHARS) {
      throw badInput(say('error.comment.tooLong', { length: String(text.length), max: String(MAX_COMMENT_CHARS) }));
    }
    if (rating === null && text !== '') throw badInput(say('error.comment.noRating'));
    const answer = await this.answerFor(userId, messageId);
    if (answer.status === 'streaming') throw badInput(say('error.rating.streaming'));
    const stored = await this.repo.setFeedback(
      answer.id,
      rating === null ? null : { rating: rating as FeedbackRating, comment: text || null },
    );
    if (!stored) throw notFound('That answer');
    return stored;
  }

  /** Asks the conversation's last question again, in place of its answer. */
  async regenerate(asker: Principal, conversationId: unknown, timings?: AnswerTimings): Promise<ReplacedAnswer> {
    const { conversation, messages } = await this.chat.messages(asker.user.id, conversationId);
    const last = messages.findLast((m) => m.role === 'user');
    if (!last) throw badInput(say('error.regenerate.nothing'));
    return this.askAgain(asker, conversation, messages, last, last.content, timings);
  }

  /** Replaces one of the user's questions with `text` and answers it; what followed it is removed. */
  async editAndResend(
    asker: Principal,
    messageId: unknown,
    text: unknown,
    timings?: AnswerTimings,
  ): Promise<ReplacedAnswer> {
    const question = this.chat.validateMessage(text);
    const message = await this.chat.messageFor(asker.user.id, messageId);
    if (message?.role !== 'user') throw notFound('That question');
    const { conversation, messages } = await this.chat.messages(asker.user.id, message.conversationId);
    return this.askAgain(asker, conversation, messages, message, question, timings);
  }

  /**
   * Removes `from` and everything after it, then asks `question` in its place. Every refusal that
   * can come comes before anything is removed, so a refused request loses nothing.
   */
  private async askAgain(
    asker: Principal,
    conversation: Conversation,
    messages: readonly Message[],
    from: Message,
    question: string,
    timings?: AnswerTimings,
  ): Promise<ReplacedAnswer> {
    // A row still `streaming` is being written here or by another instance sharing the database.
    if (messages.some((m) => m.status === 'streaming')) {
      throw new AppError('answer_in_progress', say('error.answer.inProgress'), 409);
    }
    this.chat.validateMessage(question);
    await this.chat.refuseIfBusy(asker.user.id);
    // The title was made from the first question: it follows that question when it is edited.
    if (messages[0]?.id === from.id && conversation.title === titleFrom(from.content)) {
      await this.repo.renameConversation(conversation.id, titleFrom(question));
    }
    const replaced = await this.repo.deleteMessagesFrom(from.id);
    const started = await this.chat.ask(asker, { message: question, conversationId: conversation.id }, timings);
    return { ...started, replaced };
  }
}
