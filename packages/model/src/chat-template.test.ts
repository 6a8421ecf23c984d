import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatTemplate, FALLBACK_CHAT_TEMPLATE } from './chat-template.js';

// The shape tool-calling templates (Llama 3.1, Qwen, Hermes) read: `tools`, `message.tool_calls[].function.arguments` as an object.
const TOOL_TEMPLATE = "{% if tools %}[tools:{% for t in tools %}{{ t.function.name }};{% endfor %}]{% endif %}"
  + "{% for m in messages %}<{{ m.role }}>{% if m.tool_calls %}{% for c in m.tool_calls %}{{ c.function.name }}({{ c.function.arguments.city }}){% endfor %}"
  + "{% elif m.role == 'tool' %}{{ m.tool_call_id }}={{ m.content }}{% else %}{{ m.content }}{% endif %}{% endfor %}"
  + "{% if add_generation_prompt %}<assistant>{% endif %}";

test('tools and earlier tool calls reach the template; without tools it renders as before', () => {
  const t = new ChatTemplate(TOOL_TEMPLATE, { bosToken: null, eosToken: null });
  const messages = [
    { role: 'user', content: 'Weather in Oslo?' },
    { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] },
    { role: 'tool', content: 'rain', tool_call_id: 'c1' },
  ];
  const tools = [{ type: 'function', function: { name: 'get_weather' } }, { type: 'function', function: { name: 'get_time' } }];
  assert.equal(t.render(messages, { tools }), '[tools:get_weather;get_time;]<user>Weather in Oslo?<assistant>get_weather(Oslo)<tool>c1=rain<assistant>');
  assert.equal(t.render(messages.slice(0, 1), { addGenerationPrompt: false }), '<user>Weather in Oslo?');
});

test('the fallback template (base models) ignores tools and joins contents', () => {
  const t = new ChatTemplate(FALLBACK_CHAT_TEMPLATE, { bosToken: null, eosToken: null });
  assert.equal(t.render([{ role: 'user', content: 'a' }, { role: 'tool', content: 'b', tool_call_id: 'x' }], { tools: [{ type: 'function' }] }), 'a\nb');
});
