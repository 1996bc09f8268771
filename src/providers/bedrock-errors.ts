import { AppError, type FailureReason, isAbortError, unavailable } from '../errors.ts';

/**
 * Translates `@aws-sdk/client-bedrock-runtime`'s errors at the boundary. Service faults are
 * BedrockRuntimeServiceException subclasses named after Bedrock's error codes
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors,
 * and the common ones: https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html);
 * an exception sent inside a stream arrives under the same name. Credentials that cannot be found
 * are a CredentialsProviderError; network failures are plain errors with a Node `code`; our own
 * timeouts are TimeoutErrors. The provider's message is kept in `cause`, never shown: it can echo
 * request details.
 */
const REASONS: Record<string, FailureReason> = {
  ThrottlingException: 'rate_limited',
  ServiceQuotaExceededException: 'rate_limited',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  ExpiredTokenException: 'auth',
  IncompleteSignature: 'auth',
  MissingAuthenticationToken: 'auth',
  CredentialsProviderError: 'auth',
  ResourceNotFoundException: 'model_not_found',
  ValidationException: 'bad_request',
  ModelTimeoutException: 'timeout',
  TimeoutError: 'timeout',
  ServiceUnavailableException: 'server_error',
  InternalServerException: 'server_error',
  ModelStreamErrorException: 'server_error',
  ModelErrorException: 'server_error',
  ModelNotReadyException: 'server_error',
};

const SENTENCES: Record<FailureReason, string> = {
  rate_limited: 'is rate limiting requests; try again shortly',
  auth: 'refused these AWS credentials (check the IAM permissions)',
  model_not_found: 'does not know the configured model, or it is not enabled in this region',
  bad_request: 'refused the request as invalid',
  timeout: 'did not answer in time',
  server_error: 'answered with an error',
  unreachable: 'could not be reached',
  stalled: 'stopped responding in the middle of the answer',
  unexpected: 'failed unexpectedly',
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE']);

export function bedrockError(backend: 'llm' | 'embeddings', error: unknown): unknown {
  if (isAbortError(error) || error instanceof AppError) return error;
  const what = backend === 'llm' ? 'The language model (Amazon Bedrock)' : 'The embedding service (Amazon Bedrock)';
  const reason = reasonOf(error);
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    return unavailable(backend, `${what} could not be called: no AWS credentials were found.`, error, 'auth');
  }
  if (error instanceof Error && /region is missing/i.test(error.message)) {
    return unavailable(
      backend,
      `${what} could not be called: no AWS region is set (BEDROCK_REGION).`,
      error,
      'unexpected',
    );
  }
  return unavailable(backend, `${what} ${SENTENCES[reason]}.`, error, reason);
}

function reasonOf(error: unknown): FailureReason {
  if (!(error instanceof Error)) return 'unexpected';
  // Stream exceptions are named in camelCase on the wire (`throttlingException`).
  const name = error.name.charAt(0).toUpperCase() + error.name.slice(1);
  const known = REASONS[name];
  if (known) return known;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unreachable';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return 'server_error';
  if (status === 429) return 'rate_limited';
  return 'unexpected';
}
