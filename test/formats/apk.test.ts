// APKs signed with APK Signature Scheme v2+ carry an APK Signing Block just before the
// central directory; its signatures cover every entry and the directory, so unstamp must
// leave such a file alone (as it does a signed PE). Made here with the real tools:
// keytool (JDK) for the key, apksigner to sign, apksigner verify to check.
import t from 'tap';
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { cli, have, sh, tempDir } from '../helpers.js';

const tools = ['zip', 'keytool', 'apksigner'].filter((x) => !have(x));

t.test('a v2/v3-signed APK is skipped untouched and still verifies; a v1-only one is normalized and still verifies', { skip: tools.length > 0 && `not installed: ${tools.join(', ')}` }, async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'res'));
  writeFileSync(path.join(dir, 'AndroidManifest.xml'), 'manifest');
  writeFileSync(path.join(dir, 'res', 'a.txt'), 'hello');
  t.equal(sh('zip', ['-q', '-X', 'app.apk', 'AndroidManifest.xml', 'res/a.txt'], dir).code, 0, 'zip');
  const key = ['-keystore', 'k.jks', '-storepass', 'secret12', '-keypass', 'secret12', '-alias', 'k'];
  t.equal(sh('keytool', ['-genkeypair', ...key, '-keyalg', 'RSA', '-keysize', '2048', '-validity', '1000', '-dname', 'CN=unstamp test'], dir).code, 0, 'keytool');
  const sign = sh('apksigner', ['sign', '--ks', 'k.jks', '--ks-pass', 'pass:secret12', '--min-sdk-version', '24', '--out', 'signed.apk', 'app.apk'], dir);
  t.equal(sign.code, 0, `apksigner sign ${sign.stderr}`);
  const apk = path.join(dir, 'signed.apk');
  const verify = () => sh('apksigner', ['verify', '--min-sdk-version', '24', apk]).code;
  t.equal(verify(), 0, 'apksigner verifies it before');
  const before = readFileSync(apk);

  for (const args of [[], ['--zip-order', 'name']]) {
    const r = cli(['-v', '--epoch', '0', ...args, apk]);
    t.equal(r.code, 0, `${args.join(' ') || 'default'}: a skip is not a failure`);
    t.match(r.stdout, /skipped +.*signed\.apk: signed \(APK Signing Block before the central directory at 0x[0-9a-f]+; its signatures cover every entry\): normalize before signing/);
    t.ok(readFileSync(apk).equals(before), 'byte-for-byte untouched');
  }
  t.equal(verify(), 0, 'apksigner still verifies it');
  t.equal(cli(['check', '--epoch', '0', apk]).code, 0, 'check: nothing it would change');

  // A v1-only (JAR) signature has no signing block and its digests cover the entries'
  // contents, not their times: normalized, it still verifies.
  const v1 = sh('apksigner', ['sign', '--ks', 'k.jks', '--ks-pass', 'pass:secret12', '--min-sdk-version', '9', '--v1-signing-enabled', 'true', '--v2-signing-enabled', 'false', '--v3-signing-enabled', 'false', '--out', 'v1.apk', 'app.apk'], dir);
  t.equal(v1.code, 0, `apksigner sign (v1 only) ${v1.stderr}`);
  const v1apk = path.join(dir, 'v1.apk');
  const v1before = readFileSync(v1apk);
  const n = cli(['--epoch', '0', v1apk]);
  t.equal(n.code, 0, n.stderr);
  t.notOk(readFileSync(v1apk).equals(v1before), 'the v1-signed APK was normalized');
  t.equal(sh('apksigner', ['verify', '--min-sdk-version', '9', v1apk]).code, 0, 'and apksigner still verifies its v1 signature');

  // The unsigned APK it was made from is a plain zip and is normalized as one.
  const plain = path.join(dir, 'plain.apk');
  copyFileSync(path.join(dir, 'app.apk'), plain);
  t.equal(cli(['--epoch', '0', plain]).code, 0);
  t.equal(cli(['check', '--epoch', '0', plain]).code, 0, 'the unsigned one is normalized');
});

t.test('zipaligned APKs: the zero padding in local extra fields is kept, the pair becomes identical and stays aligned', { skip: ['zip', 'zipalign', 'unzip'].some((x) => !have(x)) && 'zip, zipalign or unzip is not installed' }, async (t) => {
  const dir = tempDir(t);
  // Two builds of the same files at different times; stored (-0) entries with names of
  // odd lengths, so zipalign has to pad their local headers.
  const built = ['a', 'b'].map((side, i) => {
    const src = path.join(dir, `src-${side}`);
    mkdirSync(path.join(src, 'res'), { recursive: true });
    writeFileSync(path.join(src, 'AndroidManifest.xml'), 'manifest');
    writeFileSync(path.join(src, 'res', 'ab.txt'), 'hello');
    writeFileSync(path.join(src, 'res', 'abcde.bin'), Buffer.alloc(300, 7));
    for (const f of ['AndroidManifest.xml', 'res/ab.txt', 'res/abcde.bin']) sh('touch', ['-d', `@${1600000000 + i * 86400}`, path.join(src, f)]);
    t.equal(sh('zip', ['-q', '-0', '-X', 'unaligned.apk', 'AndroidManifest.xml', 'res/ab.txt', 'res/abcde.bin'], src).code, 0);
    const out = path.join(dir, `${side}.apk`);
    t.equal(sh('zipalign', ['-p', '4', path.join(src, 'unaligned.apk'), out]).code, 0, `zipalign ${side}`);
    return out;
  });
  const [a, b] = built;
  const padded = readFileSync(a);
  t.not(padded.length, readFileSync(path.join(dir, 'src-a', 'unaligned.apk')).length, 'zipalign added padding');
  t.notOk(padded.equals(readFileSync(b)), 'the two builds differ before');
  const r = cli(['--epoch', '0', a, b]);
  t.equal(r.code, 0, r.stderr);
  t.ok(readFileSync(a).equals(readFileSync(b)), 'byte-identical after');
  t.equal(readFileSync(a).length, padded.length, 'same size: the padding is kept');
  for (const f of built) {
    t.equal(sh('zipalign', ['-c', '-p', '4', f]).code, 0, `zipalign -c -p 4 accepts ${path.basename(f)}`);
    t.equal(sh('unzip', ['-tq', f]).code, 0, `unzip -t accepts ${path.basename(f)}`);
  }
  t.equal(JSON.parse(cli(['--json', '--epoch', '0', a, b]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});
