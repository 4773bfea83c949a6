/**
 * runNft hands a script to `nft -f -`, which applies a whole file as one transaction: the script takes effect
 * completely or not at all. Rejects with nft's own complaint (one line per problem) when it refuses.
 */
import { spawn } from 'node:child_process';

export function runNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (err) => reject(new Error(`Cannot run nft: ${err.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f failed: ${stderr.trim() || `exit ${String(code)}`}`))));
    child.stdin.on('error', () => undefined); // nft exiting early surfaces through "close"
    child.stdin.end(script);
  });
}

const TABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** deleteNftTable removes an `ip` table and its `ip6` namesake (dual-stack); a missing table is fine. */
export async function deleteNftTable(table: string): Promise<void> {
  if (!TABLE_NAME.test(table)) throw new Error(`Cannot use "${table}" as the nftables table: want up to 64 letters, digits, "-" or "_"`);
  await runNft(`table ip ${table} {}\ndelete table ip ${table}\ntable ip6 ${table} {}\ndelete table ip6 ${table}\n`);
}
