// Drives the official Anthropic TypeScript SDK against a running Meridian gateway.
//
// Env: MERIDIAN_BASE_URL (e.g. http://127.0.0.1:5123), MERIDIAN_API_KEY, MERIDIAN_MODEL.
// Prints exactly one JSON line to stdout and exits 0; on any unexpected failure it
// prints the error to stderr and exits 1. The C# test suite runs it with
// `node tests/node-sdk/sdk-check.mjs` and asserts on the JSON.
import Anthropic from '@anthropic-ai/sdk';

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

function textOf(message) {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

async function main() {
  const baseURL = requireEnv('MERIDIAN_BASE_URL');
  const apiKey = requireEnv('MERIDIAN_API_KEY');
  const model = requireEnv('MERIDIAN_MODEL');

  const client = new Anthropic({ apiKey, baseURL });

  // (1) Plain request/response.
  const msg = await client.messages.create({
    model,
    max_tokens: 512,
    messages: [{ role: 'user', content: 'Hello from node' }],
  });

  // (2) Streaming through the SDK's MessageStream helper.
  const stream = client.messages.stream({
    model,
    max_tokens: 512,
    messages: [{ role: 'user', content: 'Stream hello from node' }],
  });
  let deltas = 0;
  let streamedText = '';
  stream.on('text', (delta) => {
    deltas += 1;
    streamedText += delta;
  });
  const final = await stream.finalMessage();

  // (3) Token counting.
  const counted = await client.messages.countTokens({
    model,
    messages: [{ role: 'user', content: 'Hello from node' }],
  });

  // (4) A bad key must surface as the SDK's typed AuthenticationError.
  const badClient = new Anthropic({ apiKey: `${apiKey}-definitely-wrong`, baseURL });
  let authError = null;
  try {
    await badClient.messages.create({
      model,
      max_tokens: 8,
      messages: [{ role: 'user', content: 'should not be served' }],
    });
  } catch (err) {
    if (!(err instanceof Anthropic.AuthenticationError)) {
      throw err;
    }
    authError = { status: err.status, type: err.error?.error?.type ?? null };
  }
  if (authError === null) {
    throw new Error('request with a bad API key succeeded; expected Anthropic.AuthenticationError');
  }

  const result = {
    message: {
      id: msg.id,
      stop_reason: msg.stop_reason,
      text: textOf(msg),
      usage: msg.usage,
      request_id: msg._request_id ?? null,
    },
    stream: {
      deltas,
      text: streamedText,
      final_text: textOf(final),
      stop_reason: final.stop_reason,
      output_tokens: final.usage?.output_tokens ?? null,
    },
    count_tokens: counted.input_tokens,
    auth_error: authError,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (err) => {
    process.stderr.write(`sdk-check failed: ${err?.stack ?? err}\n`);
    if (err?.status !== undefined) {
      process.stderr.write(`status=${err.status} body=${JSON.stringify(err.error ?? null)}\n`);
    }
    process.exit(1);
  },
);
