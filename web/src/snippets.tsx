import { useState } from 'preact/hooks';
import { RadioChoice } from './ui';

type Client = 'curl' | 'typescript' | 'csharp' | 'claude-code' | 'openai';

const clients: { key: Client; label: string }[] = [
  { key: 'curl', label: 'curl' },
  { key: 'typescript', label: 'TypeScript (@anthropic-ai/sdk)' },
  { key: 'csharp', label: 'C# (Anthropic)' },
  { key: 'claude-code', label: 'Claude Code' },
  { key: 'openai', label: 'OpenAI SDK' },
];

/** The code to call one deployment from each client Meridian is tested with; the key is left as $MERIDIAN_API_KEY. */
export function snippet(client: Client, baseUrl: string, model: string): string {
  const json = JSON.stringify({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] });
  switch (client) {
    case 'curl':
      return `curl -s ${baseUrl}/v1/messages -H 'content-type: application/json' \\\n  -H "x-api-key: $MERIDIAN_API_KEY" \\\n  -d '${json}'`;
    case 'typescript':
      return [
        "import Anthropic from '@anthropic-ai/sdk';",
        '',
        `const client = new Anthropic({ apiKey: process.env.MERIDIAN_API_KEY, baseURL: '${baseUrl}' });`,
        `const message = await client.messages.create({ model: '${model}', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] });`,
      ].join('\n');
    case 'csharp':
      return [
        'using Anthropic;',
        'using Anthropic.Models.Messages;',
        '',
        `using var client = new AnthropicClient(new() { ApiKey = Environment.GetEnvironmentVariable("MERIDIAN_API_KEY"), BaseUrl = "${baseUrl}" });`,
        `var message = await client.Messages.Create(new MessageCreateParams { Model = "${model}", MaxTokens = 256, Messages = [new UserMessageParam("Hello")] });`,
      ].join('\n');
    case 'claude-code':
      return `ANTHROPIC_BASE_URL=${baseUrl} ANTHROPIC_API_KEY=$MERIDIAN_API_KEY claude --model ${model}`;
    case 'openai':
      return [
        "import OpenAI from 'openai';",
        '',
        `const client = new OpenAI({ apiKey: process.env.MERIDIAN_API_KEY, baseURL: '${baseUrl}/v1' });`,
        `const completion = await client.chat.completions.create({ model: '${model}', messages: [{ role: 'user', content: 'Hello' }] });`,
      ].join('\n');
  }
}

/** A ready snippet per client for one deployment, with this gateway's address as the base URL. */
export function CallSnippets({ model }: { model: string }) {
  const [client, setClient] = useState<Client>('curl');
  const [copied, setCopied] = useState(false);
  const code = snippet(client, window.location.origin, model);
  return (
    <details class="snippets">
      <summary>Code to call it</summary>
      <RadioChoice legend="Client" name="snippet-client" class="inline-choice" options={clients} value={client} onChange={(c) => (setClient(c), setCopied(false))} />
      <pre class="snippet" data-client={client} tabIndex={0}>
        <code>{code}</code>
      </pre>
      <p class="hint">
        With a key of this deployment's resource in <code>MERIDIAN_API_KEY</code>. Call a node whose region may take this deployment's requests (a node
        outside its boundary answers 403).
      </p>
      <button
        type="button"
        class="secondary"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(code);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </details>
  );
}
