import t from 'tap';
import { parseEpoch, renderTime, defaultEpoch, MAX_EPOCH } from '../../src/core/time.js';
import { UsageError } from '../../src/core/errors.js';

t.test('parseEpoch accepts seconds and ISO-8601, always as UTC', async (t) => {
  const cases: [string, number][] = [
    ['0', 0],
    ['1700000000', 1700000000],
    ['2023-11-14T22:13:20Z', 1700000000],
    ['2023-11-14T22:13:20', 1700000000],
    ['2023-11-14 22:13:20', 1700000000],
    ['2023-11-15T00:13:20+02:00', 1700000000],
    ['2023-11-14', 1699920000],
    ['1980-01-01T00:00:00Z', 315532800],
    [String(MAX_EPOCH), MAX_EPOCH],
  ];
  for (const [text, want] of cases) t.equal(parseEpoch(text, '--epoch'), want, text);
});

t.test('parseEpoch rejects what it cannot place', async (t) => {
  for (const bad of ['-1', 'yesterday', '1.5', '2023-13-45T00:00:00Z', String(MAX_EPOCH + 1), '']) {
    t.throws(() => parseEpoch(bad, '--epoch'), UsageError, bad);
  }
});

t.test('SOURCE_DATE_EPOCH is the default epoch, else 0', async (t) => {
  t.equal(defaultEpoch({}), 0);
  t.equal(defaultEpoch({ SOURCE_DATE_EPOCH: '1234' }), 1234);
  t.throws(() => defaultEpoch({ SOURCE_DATE_EPOCH: 'soon' }), UsageError);
});

t.test('renderTime shows seconds and the UTC date', async (t) => {
  t.equal(renderTime(0), '0 (1970-01-01 00:00:00 UTC)');
  t.equal(renderTime(1700000000), '1700000000 (2023-11-14 22:13:20 UTC)');
});
