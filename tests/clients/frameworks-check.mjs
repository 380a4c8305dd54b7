// Drives the Vercel AI SDK (ai + @ai-sdk/anthropic) against a running Meridian gateway: generateText and
// generateObject (structured outputs through output_config.format).
//
// Env: MERIDIAN_BASE_URL (e.g. http://127.0.0.1:5123), MERIDIAN_API_KEY, MERIDIAN_MODEL.
// Prints exactly one JSON line to stdout and exits 0; on any failure it prints the error to stderr and exits 1.
import { createAnthropic } from '@ai-sdk/anthropic';
import { generateObject, generateText } from 'ai';
import { z } from 'zod';

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

async function main() {
  const anthropic = createAnthropic({ baseURL: `${requireEnv('MERIDIAN_BASE_URL')}/v1`, apiKey: requireEnv('MERIDIAN_API_KEY') });
  const model = anthropic(requireEnv('MERIDIAN_MODEL'));

  const text = await generateText({ model, prompt: 'Say hello to the Vercel AI SDK.', maxOutputTokens: 256 });

  const recipe = await generateObject({
    model,
    schema: z.object({
      name: z.string(),
      servings: z.number().int().min(2),
      ingredients: z.array(z.object({ name: z.string(), grams: z.number() })),
      vegan: z.boolean(),
    }),
    prompt: 'A lasagna recipe.',
    maxOutputTokens: 1024,
  });

  console.log(JSON.stringify({
    generate_text: { text: text.text, finish_reason: text.finishReason, output_tokens: text.usage.outputTokens },
    generate_object: { object: recipe.object, finish_reason: recipe.finishReason },
  }));
}

main().catch((err) => {
  console.error(err?.stack ?? String(err));
  if (err?.responseBody) {
    console.error(err.responseBody);
  }
  process.exit(1);
});
