/**
 * runInPty runs a program on a new pseudo-terminal sized 100 columns by 30 rows (python3's pty module drives it:
 * `kubectl exec -it`, `run -it` and `debug -it` need a terminal), types `input` once `waitFor` was shown (at once
 * when `waitFor` is empty), and resolves with what the terminal showed and the program's exit code. The driver
 * gives up after 40 s; `timeoutMs` bounds the whole run.
 */
import { runCommand, type ExecResult } from './test-cluster.js';

const PTY_DRIVER = `
import fcntl, os, pty, select, struct, sys, termios, time
wait_for, data, argv = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
    os.execvp(argv[0], argv)
out, sent, deadline = b'', not data, time.time() + 40
while time.time() < deadline:
    if not sent and wait_for in out:
        time.sleep(0.3)
        os.write(fd, data)
        sent = True
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
sys.stdout.write(out.decode('utf-8', 'replace'))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

export function runInPty(waitFor: string, input: string, argv: readonly string[], timeoutMs = 60_000): Promise<ExecResult> {
  return runCommand('python3', ['-c', PTY_DRIVER, waitFor, input, ...argv], { timeoutMs });
}
