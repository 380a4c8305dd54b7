// Drives the official OpenAI TypeScript SDK (`openai`) against a running Meridian gateway's OpenAI door.
//
// Env: MERIDIAN_BASE_URL (the gateway's root, e.g. http://127.0.0.1:5123), MERIDIAN_API_KEY, MERIDIAN_MODEL.
// The SDK is used unchanged, with baseURL `${MERIDIAN_BASE_URL}/v1` for most calls and `/openai/v1` for models.
// Prints exactly one JSON line to stdout and exits 0; on any unexpected failure it prints the error to stderr
// and exits 1. The C# test suite (NodeOpenAiSdkTests) runs it and asserts on the JSON.
import OpenAI from 'openai';

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function expectError(promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) {
      return {
        class: error.constructor.name,
        status: error.status,
        type: error.type ?? null,
        code: error.code ?? null,
        param: error.param ?? null,
        request_id: error.requestID ?? null,
      };
    }
    throw error;
  }
  throw new Error('the call was expected to fail');
}

async function main() {
  const root = requireEnv('MERIDIAN_BASE_URL');
  const apiKey = requireEnv('MERIDIAN_API_KEY');
  const model = requireEnv('MERIDIAN_MODEL');
  // maxRetries 0: the errors below are looked at as the gateway first answered them.
  const client = new OpenAI({ apiKey, baseURL: `${root}/v1`, maxRetries: 0 });

  // (1) A plain chat completion.
  const completion = await client.chat.completions.create({
    model,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello from the OpenAI SDK' },
    ],
  });

  // (2) A raw stream with the usage chunk.
  const stream = await client.chat.completions.create({
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Stream hello from the OpenAI SDK' }],
  });
  let streamedText = '';
  let chunks = 0;
  let streamFinish = null;
  let streamUsage = null;
  for await (const chunk of stream) {
    chunks += 1;
    for (const choice of chunk.choices) {
      streamedText += choice.delta?.content ?? '';
      streamFinish = choice.finish_reason ?? streamFinish;
    }
    streamUsage = chunk.usage ?? streamUsage;
  }

  // (3) A tool call round trip, the call streamed through the SDK's stream helper.
  const messages = [{ role: 'user', content: 'Please use get_weather for Oslo.' }];
  const runner = client.chat.completions.stream({ model, messages, tools: [weatherTool] });
  const called = await runner.finalChatCompletion();
  const toolCall = called.choices[0].message.tool_calls[0];
  messages.push(called.choices[0].message);
  messages.push({ role: 'tool', tool_call_id: toolCall.id, content: '-3 C and snowing' });
  const answered = await client.chat.completions.create({ model, messages, tools: [weatherTool] });

  // (4) Models in OpenAI's shape, under /openai/v1.
  const openAiDoor = new OpenAI({ apiKey, baseURL: `${root}/openai/v1`, maxRetries: 0 });
  const models = [];
  for await (const listed of openAiDoor.models.list()) {
    models.push({ id: listed.id, object: listed.object, owned_by: listed.owned_by });
  }

  // (5) Typed errors.
  const badKey = new OpenAI({ apiKey: `${apiKey}-definitely-wrong`, baseURL: `${root}/v1`, maxRetries: 0 });
  const authError = await expectError(badKey.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }));
  const notFound = await expectError(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
  const badRequest = await expectError(client.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'hi' }] }));

  const result = {
    completion: {
      id: completion.id,
      object: completion.object,
      text: completion.choices[0].message.content,
      finish_reason: completion.choices[0].finish_reason,
      usage: completion.usage,
      request_id: completion._request_id ?? null,
    },
    stream: { text: streamedText, chunks, finish_reason: streamFinish, usage: streamUsage },
    tools: {
      finish_reason: called.choices[0].finish_reason,
      name: toolCall.function.name,
      id: toolCall.id,
      arguments: JSON.parse(toolCall.function.arguments),
      answer: answered.choices[0].message.content,
      answer_finish_reason: answered.choices[0].finish_reason,
    },
    models,
    auth_error: authError,
    not_found: notFound,
    bad_request: badRequest,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
