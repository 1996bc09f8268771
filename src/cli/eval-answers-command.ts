import { parseArgs } from 'node:util';
import { DEFAULT_SEED_DOCS_DIR } from '../config.ts';
import { OfflineLlmClient } from '../providers/offline-llm-client.ts';
import { type AnswerEvalResult, evaluateAnswers, parseLabelledQuestions } from '../rag/answer-evaluation.ts';
import { seedFolder } from '../seed.ts';
import { parseOrExplain } from './command-args.ts';
import { evaluateInScratch, progressLine } from './scratch-deps.ts';

export const DEFAULT_QUESTIONS = './ingest/sample-questions.jsonl';

/** The figures the offline answerer is held to on the sample set (README, "Honest answers"). */
export const ANSWER_TARGETS = { abstentionRate: 0.9, rightFirstRate: 0.9 } as const;

const USAGE = `Usage: bun run eval:answers [questions.jsonl] [--docs <folder>] [--json FILE] [--verbose]

Ingests the documents (default: the sample corpus, ${DEFAULT_SEED_DOCS_DIR}) into a fresh store, asks
every question of the labelled set (default: ${DEFAULT_QUESTIONS}) through the chat's path with the
configured answerer (the offline one unless a model is configured), and prints:
  - the share of unanswerable questions answered with a plain "the documents do not say",
  - the share of answerable ones whose first citation is the passage that holds the answer.
Each line of the set is {"question": "...", "answers": [{"document": "x.md", "phrase": "..."}]};
"answers": [] marks a question the documents do not answer.`;

/** `bun run eval:answers` / `ragchat eval-answers`. Returns the exit code. */
export async function runEvalAnswersCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const args = parseOrExplain(() => parse(argv), USAGE);
  if (!args) return 2;
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const questionsPath = args.positionals[0] ?? DEFAULT_QUESTIONS;
  const docs = args.values.docs ?? seedFolder(DEFAULT_SEED_DOCS_DIR);
  const file = Bun.file(questionsPath);
  if (!(await file.exists()) || !docs) {
    console.error(`${!docs ? 'The sample documents were not found' : `${questionsPath} does not exist`}.\n\n${USAGE}`);
    return 2;
  }
  let set: ReturnType<typeof parseLabelledQuestions>;
  try {
    set = parseLabelledQuestions(await file.text());
  } catch (error) {
    console.error(`${questionsPath}: ${(error as Error).message}`);
    return 2;
  }
  // Offline, the answerer's pause between words only imitates a model's pace: skip it.
  return evaluateInScratch(
    env,
    'eval-answers',
    args.values.json,
    async (deps) => {
      const ingested = await deps.ingestion.ingestPaths([docs]);
      console.error(`ingested ${ingested.documents} documents (${ingested.chunks} chunks) from ${docs}`);
      const result = await evaluateAnswers(set, deps.orchestrator, { onProgress: progressLine('question') });
      console.log(formatAnswerEval(result, deps.llm.model, args.values.verbose));
      return result;
    },
    // Offline, the answerer's pause between words only imitates a model's pace: skip it.
    (config) => (config.llm ? {} : { llm: new OfflineLlmClient({ wordDelayMs: 0 }) }),
  );
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

/** The figures, then each question that missed, so a regression can be read without a debugger. */
export function formatAnswerEval(result: AnswerEvalResult, model: string, verbose = false): string {
  const mark = (share: number, target: number) => (share >= target ? 'meets' : 'below');
  const lines = [
    `answerer                          ${model}`,
    `unanswerable answered "do not say" ${percent(result.abstentionRate)} of ${result.unanswerable} (target ≥ ${percent(ANSWER_TARGETS.abstentionRate)}: ${mark(result.abstentionRate, ANSWER_TARGETS.abstentionRate)})`,
    `answerable, right passage first    ${percent(result.rightFirstRate)} of ${result.answerable} (target ≥ ${percent(ANSWER_TARGETS.rightFirstRate)}: ${mark(result.rightFirstRate, ANSWER_TARGETS.rightFirstRate)})`,
    `answerable but declined            ${result.falseAbstentions}`,
  ];
  const missed = result.outcomes.filter((o) => (o.answerable ? !o.rightFirst : !o.abstained));
  for (const o of verbose ? result.outcomes : missed) {
    const verdict = o.answerable
      ? o.rightFirst
        ? 'right'
        : o.abstained
          ? 'declined'
          : 'wrong first citation'
      : o.abstained
        ? 'abstained'
        : 'answered, should abstain';
    lines.push('', `${verdict}: ${o.question}`, `  first cited: ${o.firstCited ?? '(none)'}`);
    lines.push(
      ...o.answer
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => `  | ${l}`),
    );
  }
  return lines.join('\n');
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      docs: { type: 'string' },
      json: { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
