/*
 * tkube-shim: the per-container supervisor of the runc runtime (what containerd-shim and conmon are).
 *
 *   tkube-shim <log-path> <status-path> <program> [args...]
 *
 * Runs <program> (runc run ...) in the foreground with stdin from /dev/null and its stdout and stderr on pipes,
 * appends every line to <log-path> in the CRI log format (`<RFC 3339 nano> stdout|stderr F|P <text>`, lines over
 * 16 KiB split into P parts), and when the program ends writes `<exit code> <finished unix nanoseconds>` to
 * <status-path> (through a temp file and rename, so readers never see half of it). A signal death is reported as
 * 128 + the signal number, as shells do. It is started detached (its own session) so it outlives the agent.
 *
 * With TKUBE_SHIM_PID_FILE set, <program> is expected to start the container detached (`runc run -d --pid-file`)
 * and return: the shim makes itself a child subreaper, so the container's init is re-parented to it, and the exit
 * reported is the init's (read from the pid file), not the program's — unless the program itself fails. Detached,
 * runc leaves the container's cgroup in place until `runc delete`, so at the init's death the shim can still read
 * the cgroup's OOM-kill counter: with TKUBE_SHIM_OOM_CONTROL naming a `memory.oom_control` file whose `oom_kill`
 * is above zero, the status line gets a third word, `oom` (the kernel killed the container for its memory limit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 16384

struct stream {
  int fd;
  const char *name;
  char buf[MAX_LINE];
  size_t len;
};

static int log_fd = -1;

static void emit(const char *name, const char *tag, const char *text, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char head[96];
  int n = snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %s ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, name, tag);
  char *line = malloc((size_t)n + len + 1);
  if (!line) return;
  memcpy(line, head, (size_t)n);
  memcpy(line + n, text, len);
  line[(size_t)n + len] = '\n';
  size_t total = (size_t)n + len + 1, off = 0;
  while (off < total) {
    ssize_t w = write(log_fd, line + off, total - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  free(line);
}

/* pump reads what is available and emits complete lines; returns 0 at end of stream. */
static int pump(struct stream *s) {
  ssize_t r = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (r < 0 && errno == EINTR) return 1;
  if (r <= 0) {
    if (s->len > 0) emit(s->name, "F", s->buf, s->len);
    s->len = 0;
    return 0;
  }
  s->len += (size_t)r;
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++) {
    if (s->buf[i] == '\n') {
      emit(s->name, "F", s->buf + start, i - start);
      start = i + 1;
    }
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
  if (s->len == sizeof s->buf) {
    emit(s->name, "P", s->buf, s->len);
    s->len = 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: tkube-shim <log-path> <status-path> <program> [args...]\n");
    return 2;
  }
  const char *pid_file = getenv("TKUBE_SHIM_PID_FILE");
  const char *oom_control = getenv("TKUBE_SHIM_OOM_CONTROL");
  if (pid_file) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  log_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    perror("tkube-shim: cannot open the log");
    return 2;
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execvp(argv[3], argv + 3);
    dprintf(2, "tkube-shim: cannot run %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  struct stream s[2] = {{out[0], "stdout", {0}, 0}, {err[0], "stderr", {0}, 0}};
  int open_streams = 2;
  while (open_streams > 0) {
    struct pollfd p[2];
    int n = 0, idx[2];
    for (int i = 0; i < 2; i++) {
      if (s[i].fd >= 0) {
        p[n].fd = s[i].fd;
        p[n].events = POLLIN;
        idx[n++] = i;
      }
    }
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; k++) {
      if (p[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        struct stream *st = &s[idx[k]];
        if (!pump(st)) {
          close(st->fd);
          st->fd = -1;
          open_streams--;
        }
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
  int oom = 0;
  if (pid_file && code == 0) {
    /* The program started the container and returned; the exit that matters is the init's. */
    pid_t init = 0;
    FILE *pf = fopen(pid_file, "r");
    if (pf) {
      long v = 0;
      if (fscanf(pf, "%ld", &v) == 1) init = (pid_t)v;
      fclose(pf);
    }
    code = 255;
    for (;;) {
      int st = 0;
      pid_t got = waitpid(-1, &st, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        break; /* no children left: the init was reaped already, or never was ours */
      }
      if (got == init) {
        code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
        break;
      }
    }
    if (oom_control) {
      FILE *of = fopen(oom_control, "r");
      if (of) {
        char line[256];
        while (fgets(line, sizeof line, of)) {
          long n = 0;
          if (sscanf(line, "oom_kill %ld", &n) == 1 && n > 0) oom = 1;
        }
        fclose(of);
      }
    }
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
  FILE *f = fopen(tmp, "w");
  if (f) {
    fprintf(f, "%d %lld%09ld%s\n", code, (long long)ts.tv_sec, ts.tv_nsec, oom ? " oom" : "");
    fclose(f);
    rename(tmp, argv[2]);
  }
  return 0;
}
