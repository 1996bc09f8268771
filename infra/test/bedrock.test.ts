import { describe, expect, test } from 'bun:test';
import { bedrockInvokeArns, profileModel } from '../bedrock.ts';
import { StackConfigError } from '../config.ts';
import {
  containers,
  type Inputs,
  PROD_SETTINGS,
  policy,
  readStackConfig,
  runStack,
  TEST_SECRETS,
  TYPES,
} from './harness.ts';

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const HAIKU_US = `us.${HAIKU}`;
const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-multilingual-v3';
const BUCKET_ARN = 'arn:aws:s3:::storage-docs-0a1b2c3';
const INVOKE = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

/** dev on Bedrock for both, with no secret at all: no API key, no admin. */
const devBedrock = () =>
  runStack('dev', {
    'ragchat:bedrockChatModel': HAIKU,
    'ragchat:bedrockEmbeddingModel': TITAN,
    'ragchat:bedrockEmbeddingDimensions': '512',
  });
/** prod as infra/README.md sets it up with Bedrock: Qdrant Cloud and an admin, no model key. */
const { 'ragchat:openaiApiKey': _o, 'ragchat:embeddingsApiKey': _e, ...PROD_NO_MODEL_KEYS } = TEST_SECRETS;
const prodBedrock = () =>
  runStack(
    'prod',
    {
      ...PROD_SETTINGS,
      'ragchat:bedrockChatModel': HAIKU_US,
      'ragchat:bedrockEmbeddingModel': COHERE,
      // Pulumi.prod.yaml sets it; `pulumi config rm embeddingsBaseUrl` leaves it empty like this.
      'ragchat:embeddingsBaseUrl': '',
    },
    PROD_NO_MODEL_KEYS,
  );
const dev = () => runStack('dev');
const prod = () => runStack('prod', PROD_SETTINGS, TEST_SECRETS);

const app = async (run: () => ReturnType<typeof dev>) =>
  containers((await run()).get(TYPES.taskDefinition, 'app-task'))[0]!;
const env = async (run: () => ReturnType<typeof dev>) =>
  Object.fromEntries((await app(run)).environment.map((e: Inputs) => [e.name, e.value]));
const taskStatements = async (run: () => ReturnType<typeof dev>) =>
  policy((await run()).get(TYPES.rolePolicy, 'app-task')).Statement;
const BEDROCK_VARIABLES = ['LLM_PROVIDER', 'EMBEDDINGS_PROVIDER', 'EMBEDDING_DIMENSIONS', 'BEDROCK_REGION'];

describe('Bedrock: settings in the task, permissions in the role', () => {
  test('not configured (dev, prod): no Bedrock variable and no Bedrock permission', async () => {
    for (const run of [dev, prod]) {
      const variables = await env(run);
      for (const name of BEDROCK_VARIABLES) expect(variables[name]).toBeUndefined();
      expect(JSON.stringify(await taskStatements(run))).not.toContain('bedrock');
    }
  });

  test('dev on Bedrock: the provider, model ids, dimensions and the stack region reach the app', async () => {
    const variables = await env(devBedrock);
    expect(variables).toMatchObject({
      LLM_PROVIDER: 'bedrock',
      LLM_MODEL: HAIKU,
      EMBEDDINGS_PROVIDER: 'bedrock',
      EMBEDDING_MODEL: TITAN,
      EMBEDDING_DIMENSIONS: '512',
      BEDROCK_REGION: 'us-east-1',
    });
    expect(variables.LLM_BASE_URL).toBeUndefined();
    expect(variables.EMBEDDINGS_BASE_URL).toBeUndefined();
  });

  test('dev on Bedrock with no key at all deploys: the only secret is the database password', async () => {
    const { ofType } = await devBedrock();
    expect(ofType(TYPES.ssmParameter)).toHaveLength(0);
    expect((await app(devBedrock)).secrets.map((s: Inputs) => s.name)).toEqual(['PGPASSWORD']);
  });

  test('dev on Bedrock: the role may invoke exactly the two foundation models, in this region', async () => {
    expect(await taskStatements(devBedrock)).toEqual([
      { Sid: 'ListDocuments', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: BUCKET_ARN },
      {
        Sid: 'ReadWriteDocuments',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: `${BUCKET_ARN}/*`,
      },
      {
        Sid: 'InvokeBedrockModels',
        Effect: 'Allow',
        Action: INVOKE,
        Resource: [
          `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
          `arn:aws:bedrock:us-east-1::foundation-model/${TITAN}`,
        ],
      },
    ]);
  });

  test('prod on Bedrock with an inference profile: the profile here, its model in every region it routes to', async () => {
    expect((await taskStatements(prodBedrock)).at(-1)).toEqual({
      Sid: 'InvokeBedrockModels',
      Effect: 'Allow',
      Action: INVOKE,
      Resource: [
        `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${HAIKU_US}`,
        `arn:aws:bedrock:*::foundation-model/${HAIKU}`,
        `arn:aws:bedrock:us-east-1::foundation-model/${COHERE}`,
      ],
    });
  });

  test('prod on Bedrock needs no model key: only the admin password and Qdrant Cloud are parameters', async () => {
    const { ofType } = await prodBedrock();
    expect(
      ofType(TYPES.ssmParameter)
        .map((p) => p.inputs.name.split('/').pop())
        .sort(),
    ).toEqual(['ADMIN_PASSWORD', 'QDRANT_API_KEY', 'QDRANT_URL']);
    const variables = await env(prodBedrock);
    expect(variables).toMatchObject({ LLM_PROVIDER: 'bedrock', LLM_MODEL: HAIKU_US, EMBEDDING_MODEL: COHERE });
    expect(variables.EMBEDDING_DIMENSIONS).toBeUndefined();
    expect(variables.EMBEDDINGS_BASE_URL).toBeUndefined();
  });

  test('bedrockModelIds still adds models the role may invoke, after the configured ones, without duplicates', async () => {
    const run = () =>
      runStack('dev', {
        'ragchat:bedrockChatModel': HAIKU_US,
        'ragchat:bedrockModelIds': JSON.stringify([HAIKU_US, 'eu.anthropic.claude-3-5-haiku-20241022-v1:0']),
      });
    expect((await taskStatements(run)).at(-1)!.Resource).toEqual([
      `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${HAIKU_US}`,
      `arn:aws:bedrock:*::foundation-model/${HAIKU}`,
      `arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.${HAIKU}`,
    ]);
    // Permission only: the app is told about the chat model alone.
    expect((await env(run)).EMBEDDINGS_PROVIDER).toBeUndefined();
  });
});

describe('Bedrock ARNs', () => {
  test('inference-profile ids by their geography prefix; plain model ids are not profiles', () => {
    expect(profileModel(HAIKU_US)).toBe(HAIKU);
    expect(profileModel(`global.${HAIKU}`)).toBe(HAIKU);
    expect(profileModel(`us-gov.${HAIKU}`)).toBe(HAIKU);
    expect(profileModel(HAIKU)).toBeUndefined();
    expect(profileModel(TITAN)).toBeUndefined();
  });

  test('the partition, region and account are the stack’s', () => {
    expect(
      bedrockInvokeArns([`us-gov.${HAIKU}`, TITAN], {
        partition: 'aws-us-gov',
        region: 'us-gov-west-1',
        account: '111122223333',
      }),
    ).toEqual([
      `arn:aws-us-gov:bedrock:us-gov-west-1:111122223333:inference-profile/us-gov.${HAIKU}`,
      `arn:aws-us-gov:bedrock:*::foundation-model/${HAIKU}`,
      `arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/${TITAN}`,
    ]);
  });
});

describe('Bedrock configuration is validated', () => {
  const problems = async (settings: Record<string, string>) => {
    const result = await readStackConfig('dev', settings);
    if (!(result instanceof StackConfigError)) throw new Error(`expected a StackConfigError, got ${String(result)}`);
    return result.problems;
  };

  test('a model id that is not one, an embedding model the app does not speak', async () => {
    expect(
      await problems({ 'ragchat:bedrockChatModel': 'claude haiku', 'ragchat:bedrockEmbeddingModel': 'amazon.titan' }),
    ).toEqual([
      'ragchat:bedrockChatModel: must be a Bedrock model id or inference-profile id, like anthropic.claude-3-5-haiku-20241022-v1:0 or us.anthropic.claude-3-5-haiku-20241022-v1:0',
      'ragchat:bedrockEmbeddingModel: must be one of amazon.titan-embed-text-v2:0, cohere.embed-english-v3, cohere.embed-multilingual-v3',
    ]);
  });

  test('dimensions: Titan V2 only, and only the sizes it returns', async () => {
    expect(
      await problems({ 'ragchat:bedrockEmbeddingModel': COHERE, 'ragchat:bedrockEmbeddingDimensions': '1024' }),
    ).toEqual([
      'ragchat:bedrockEmbeddingDimensions: only with bedrockEmbeddingModel amazon.titan-embed-text-v2:0 (Cohere v3 is always 1024)',
    ]);
    expect(await problems({ 'ragchat:bedrockEmbeddingDimensions': '512' })).toHaveLength(1);
    expect(
      await problems({ 'ragchat:bedrockEmbeddingModel': TITAN, 'ragchat:bedrockEmbeddingDimensions': '768' }),
    ).toEqual(['ragchat:bedrockEmbeddingDimensions: must be one of 256, 512, 1024']);
  });

  test('Bedrock and an OpenAI-compatible URL for the same role: the URL must go', async () => {
    expect(
      await problems({
        'ragchat:bedrockChatModel': HAIKU,
        'ragchat:llmBaseUrl': 'https://api.example.com/v1',
        'ragchat:bedrockEmbeddingModel': TITAN,
        'ragchat:embeddingsBaseUrl': 'https://api.openai.com/v1',
      }),
    ).toEqual([
      'ragchat:llmBaseUrl: unset it when bedrockChatModel is set (pulumi config rm llmBaseUrl)',
      'ragchat:embeddingsBaseUrl: unset it when bedrockEmbeddingModel is set (pulumi config rm embeddingsBaseUrl)',
    ]);
  });

  test('prod as shipped names embeddingsBaseUrl when Bedrock embeds', async () => {
    const result = await readStackConfig('prod', { 'ragchat:bedrockEmbeddingModel': TITAN }, TEST_SECRETS);
    expect(result).toBeInstanceOf(StackConfigError);
    expect((result as StackConfigError).problems).toEqual([
      'ragchat:embeddingsBaseUrl: unset it when bedrockEmbeddingModel is set (pulumi config rm embeddingsBaseUrl)',
    ]);
  });
});
