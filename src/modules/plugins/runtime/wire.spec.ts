import { serialize } from 'node:v8';
import { encodeMessage, MessageDecoder, WIRE_MAX_BYTES, WireLimitError, type ChildMessage } from './wire.js';

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

function frame(payload: Buffer, length = payload.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return Buffer.concat([header, payload]);
}

function decoder() {
  const messages: ChildMessage[] = [];
  const refused: string[] = [];
  const instance = new MessageDecoder<ChildMessage>(
    (message) => messages.push(message),
    (error) => refused.push(error.message),
  );
  return { instance, messages, refused };
}

describe('plugin wire', () => {
  it('carries messages split and joined across chunks, binary data included', () => {
    const { instance, messages, refused } = decoder();
    const first = encodeMessage({ type: 'result', id: 1, value: { body: new Uint8Array([1, 2, 3]) } });
    const second = encodeMessage({ type: 'pong', id: 2 });
    const bytes = Buffer.concat([first, second]);
    for (let offset = 0; offset < bytes.length; offset += 3) instance.push(bytes.subarray(offset, offset + 3));
    expect(messages).toEqual([
      { type: 'result', id: 1, value: { body: new Uint8Array([1, 2, 3]) } },
      { type: 'pong', id: 2 },
    ]);
    expect(refused).toEqual([]);
  });

  it('refuses to send a message too deep, too large or not clonable', () => {
    expect(() => encodeMessage({ type: 'result', id: 1, value: nested(2000) })).toThrow(WireLimitError);
    expect(() => encodeMessage({ type: 'result', id: 1, value: 'x'.repeat(WIRE_MAX_BYTES) })).toThrow(/larger than/);
    expect(() => encodeMessage({ type: 'result', id: 1, value: { run: () => 1 } })).toThrow(/cannot be sent/);
  });

  it('reports and skips frames that do not deserialise, are too deep or too long, and reads on', () => {
    const { instance, messages, refused } = decoder();
    instance.push(frame(Buffer.from('not a v8 serialisation')));
    instance.push(frame(serialize({ type: 'log', callId: 1, level: 'info', message: 'deep', fields: nested(3000) })));
    instance.push(frame(serialize({ type: 'log', callId: 1, level: 'info', message: 'deep', fields: nested(100) })));
    instance.push(frame(serialize(['no type'])));
    const oversized = WIRE_MAX_BYTES + 10;
    instance.push(frame(Buffer.alloc(1000), oversized));
    instance.push(Buffer.alloc(oversized - 1000));
    instance.push(encodeMessage({ type: 'pong', id: 7 }));
    expect(refused).toHaveLength(5);
    expect(refused[4]).toMatch(/larger than/);
    expect(messages).toEqual([{ type: 'pong', id: 7 }]);
  });
});
