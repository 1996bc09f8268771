import type { LanguageCode } from '../search/language.ts';

/**
 * What the offline answerer says around its quotes, per language: the frame before them and the
 * plain "the documents do not say" when nothing answers. Kept apart from the answerer so that the
 * interface's message catalogs can take these sentences in too. English is the fallback.
 */
export interface AnswerPhrases {
  /** Before the quoted sentences. */
  frame: string;
  /** The whole answer when the passages do not answer the question. */
  noAnswer: string;
  /** Ends a quoted sentence that has no final punctuation of its own. */
  fullStop: string;
}

export const ANSWER_PHRASES: Readonly<Record<string, AnswerPhrases>> = {
  en: {
    frame: 'From the documents:',
    noAnswer: 'The documents do not say. Try other words, or add the documents that cover it.',
    fullStop: '.',
  },
  es: {
    frame: 'Según los documentos:',
    noAnswer: 'Los documentos no lo dicen. Prueba con otras palabras o añade los documentos que lo traten.',
    fullStop: '.',
  },
  de: {
    frame: 'Aus den Dokumenten:',
    noAnswer:
      'Die Dokumente sagen dazu nichts. Versuchen Sie andere Worte, oder fügen Sie die Dokumente hinzu, die es behandeln.',
    fullStop: '.',
  },
  fr: {
    frame: 'D’après les documents :',
    noAnswer: 'Les documents ne le disent pas. Essayez d’autres mots, ou ajoutez les documents qui en parlent.',
    fullStop: '.',
  },
  pt: {
    frame: 'Segundo os documentos:',
    noAnswer: 'Os documentos não dizem. Tente outras palavras ou adicione os documentos que tratam disso.',
    fullStop: '.',
  },
  it: {
    frame: 'Dai documenti:',
    noAnswer: 'I documenti non lo dicono. Prova con altre parole o aggiungi i documenti che ne parlano.',
    fullStop: '.',
  },
  ro: {
    frame: 'Din documente:',
    noAnswer: 'Documentele nu spun. Încercați alte cuvinte sau adăugați documentele care tratează subiectul.',
    fullStop: '.',
  },
  ru: {
    frame: 'Из документов:',
    noAnswer: 'В документах об этом не сказано. Попробуйте другие слова или добавьте документы, где это описано.',
    fullStop: '.',
  },
  el: {
    frame: 'Από τα έγγραφα:',
    noAnswer: 'Τα έγγραφα δεν το αναφέρουν. Δοκιμάστε άλλες λέξεις ή προσθέστε τα έγγραφα που το καλύπτουν.',
    fullStop: '.',
  },
  tr: {
    frame: 'Belgelere göre:',
    noAnswer: 'Belgelerde bu konuda bir şey yok. Başka kelimeler deneyin ya da bunu anlatan belgeleri ekleyin.',
    fullStop: '.',
  },
  ar: {
    frame: 'من المستندات:',
    noAnswer: 'لا تذكر المستندات ذلك. جرّب كلمات أخرى، أو أضف المستندات التي تتناوله.',
    fullStop: '.',
  },
  hi: {
    frame: 'दस्तावेज़ों से:',
    noAnswer: 'दस्तावेज़ों में इसके बारे में कुछ नहीं है। दूसरे शब्द आज़माएँ, या वे दस्तावेज़ जोड़ें जिनमें यह हो।',
    fullStop: '।',
  },
  vi: {
    frame: 'Theo tài liệu:',
    noAnswer: 'Tài liệu không nói về điều này. Hãy thử từ khác, hoặc thêm tài liệu có nội dung đó.',
    fullStop: '.',
  },
  th: {
    frame: 'จากเอกสาร:',
    noAnswer: 'เอกสารไม่ได้กล่าวถึงเรื่องนี้ ลองใช้คำอื่น หรือเพิ่มเอกสารที่ครอบคลุมเรื่องนี้',
    fullStop: '',
  },
  zh: {
    frame: '根据文档：',
    noAnswer: '文档中没有提到这一点。请换个说法，或添加涉及这一内容的文档。',
    fullStop: '。',
  },
  ja: {
    frame: '文書より：',
    noAnswer: '文書には書かれていません。別の言葉で試すか、該当する文書を追加してください。',
    fullStop: '。',
  },
};

/** The phrases of a language, or English when it has none. */
export function answerPhrases(language: LanguageCode): AnswerPhrases {
  return ANSWER_PHRASES[language] ?? (ANSWER_PHRASES.en as AnswerPhrases);
}
