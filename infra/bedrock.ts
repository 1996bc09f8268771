import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.ts';

/**
 * The geography prefixes of Bedrock's cross-region (system-defined) inference profiles:
 * `us.anthropic.claude-3-5-haiku-20241022-v1:0` routes within the US, `global.` anywhere.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 */
const INFERENCE_PROFILE_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/;

/** The foundation model a cross-region inference profile routes to, or undefined for a plain model id. */
export function profileModel(id: string): string | undefined {
  return INFERENCE_PROFILE_PREFIX.exec(id)?.[2];
}

export interface ArnParts {
  partition: string;
  region: string;
  account: string;
}

/**
 * What the task role must be allowed to invoke for each model id, and nothing more:
 * - a foundation model: its ARN in this region;
 * - a cross-region inference profile: the profile's ARN in this region AND the foundation model in
 *   every region the profile may route to, which AWS names with a wildcard region
 *   (`arn:aws:bedrock:*::foundation-model/<model>`), since the destination is Bedrock's choice.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/cross-region-inference.html
 */
export function bedrockInvokeArns(ids: readonly string[], { partition, region, account }: ArnParts): string[] {
  const arns = ids.flatMap((id) => {
    const model = profileModel(id);
    if (model === undefined) return [`arn:${partition}:bedrock:${region}::foundation-model/${id}`];
    return [
      `arn:${partition}:bedrock:${region}:${account}:inference-profile/${id}`,
      `arn:${partition}:bedrock:*::foundation-model/${model}`,
    ];
  });
  return [...new Set(arns)];
}

/** Every model id the stack uses or names: chat, embeddings, then the extra ones (`bedrockModelIds`). */
export function bedrockModelIds(bedrock: StackConfig['bedrock']): string[] {
  const ids = [bedrock.chatModel, bedrock.embeddingModel, ...bedrock.extraModelIds];
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/**
 * The app's Bedrock settings. No key: the AWS SDK's default credential chain finds the task
 * role. BEDROCK_REGION is the stack's region, where the role's permissions and the model access
 * (granted in the Bedrock console) are.
 */
export function bedrockEnvironment(bedrock: StackConfig['bedrock'], region: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (bedrock.chatModel) {
    env.LLM_PROVIDER = 'bedrock';
    env.LLM_MODEL = bedrock.chatModel;
  }
  if (bedrock.embeddingModel) {
    env.EMBEDDINGS_PROVIDER = 'bedrock';
    env.EMBEDDING_MODEL = bedrock.embeddingModel;
    if (bedrock.embeddingDimensions !== undefined) env.EMBEDDING_DIMENSIONS = String(bedrock.embeddingDimensions);
  }
  if (bedrock.chatModel || bedrock.embeddingModel) env.BEDROCK_REGION = region;
  return env;
}

/** {@link bedrockInvokeArns} for this stack's account and partition (known only at deployment). */
export function bedrockInvokeArnsOutput(
  bedrock: StackConfig['bedrock'],
  parts: { partition: pulumi.Input<string>; region: string; account: pulumi.Input<string> },
): pulumi.Output<string[]> {
  const ids = bedrockModelIds(bedrock);
  return pulumi
    .all([parts.partition, parts.account])
    .apply(([partition, account]) => bedrockInvokeArns(ids, { partition, region: parts.region, account }));
}
