import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Ed25519 keys for federation: each site signs its deltas, the central server signs the generations it
 * publishes. Ed25519 (not RSA/ECDSA) because signatures are deterministic, small (64 bytes) and node:crypto
 * has them without a dependency.
 */

export function generateKeyPair(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * The key in `<dir>/site-key.pem` (callers pass `<dataDir>/federation`), created on first use with mode 0600
 * so only the node's user can read it. The public key is derived, never stored separately (one source of truth).
 */
export function loadOrCreateSiteKey(dir: string, fileName = 'site-key.pem'): { publicKeyPem: string; privateKey: KeyObject } {
  const file = join(dir, fileName);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKeyPem } = generateKeyPair();
    // 'wx': never overwrite a key another process created between the check and the write.
    try {
      writeFileSync(file, privateKeyPem, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  chmodSync(file, 0o600);
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: not an ed25519 private key (${privateKey.asymmetricKeyType})`);
  return { publicKeyPem: publicKeyPemOf(privateKey), privateKey };
}

export function publicKeyPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** Parses a PEM public key and insists on ed25519 (a site registering an RSA key is a configuration error). */
export function parsePublicKey(publicKey: string | KeyObject): KeyObject {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an ed25519 public key (${key.asymmetricKeyType ?? 'unknown'})`);
  return key;
}

export function sign(data: Buffer, privateKey: KeyObject): Buffer {
  return cryptoSign(null, data, privateKey);
}

/** False (never throws) for a wrong, truncated or malformed signature. */
export function verify(data: Buffer, signature: Buffer, publicKey: string | KeyObject): boolean {
  try {
    return cryptoVerify(null, data, parsePublicKey(publicKey), signature);
  } catch {
    return false;
  }
}
