import { Webhook } from 'standardwebhooks';
import { generateSecret, SECRET_PATTERN, signatureHeader } from './webhook-signature.js';

describe('webhook signatures', () => {
  it('generates whsec_ secrets that match the accepted format', () => {
    const secret = generateSecret();
    expect(secret).toMatch(SECRET_PATTERN);
    expect(generateSecret()).not.toBe(secret);
  });

  it('matches the Standard Webhooks specification’s example signature', () => {
    const body = '{"test": 2432232314}';
    expect(signatureHeader(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs exactly as the standardwebhooks library verifies, with either secret during rotation', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const body = JSON.stringify({ id: 'evt', data: { é: 'ü' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signatureHeader([newSecret, oldSecret], 'evt_1', timestamp, body);
    expect(signature.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    for (const secret of [oldSecret, newSecret]) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(newSecret).verify(body.replace('ü', 'u'), headers)).toThrow();
  });
});
