/*
 * tkube-command-helper: the node's host command runner (command-runner.ts), a co-process of the agent that starts
 * the node's short host commands (`ip -batch`, `runc kill`, a container's shim) so the agent never forks itself.
 *
 * Why C and not the bash co-process it replaces: bash forked twice per command (the background job, then the
 * command), ≈ 1 ms of CPU each on a loaded machine, and passed output through files. Here each command is one
 * posix_spawn (a vfork-style clone: no page tables copied), its stdin, stdout and stderr are memory files
 * (memfd_create: nothing on a file system, nothing to remove), and a tmpfs mount or an unmount is a system call of
 * the helper's, no process at all.
 *
 * Protocol. Requests on stdin, each: NUL-terminated fields `id`, `kind`, `timeout ms` (0: none), `input length`,
 * `argc`, then argc arguments, then `input length` bytes of the command's stdin. Kinds:
 *   - `run`: runs argv (PATH searched) with the input on stdin, stdout and stderr captured;
 *   - `detach`: runs argv with stdio on /dev/null and nothing captured (a program that detaches itself);
 *   - `mount`: mount(2) of argv `fstype source target options` (mount(8)'s flag words, the rest as data);
 *   - `umount`: umount2(2) of argv `target` (`target -l`: lazily).
 * Answers on stdout, each `<id> <status> <stdout length> <stderr length>\n` followed by those bytes. Status is the
 * exit code, 128 + the signal for a signal death (as shells report it), 127 when the program could not be started,
 * 124 when the command outlived its timeout and ended at the SIGTERM sent then (a SIGKILL follows 5 s later: 137),
 * as coreutils' `timeout -k 5` reports it; 32 for a failed mount or unmount, as mount(8) exits.
 * Requests overlap: answers come as commands end. The helper exits at EOF on stdin (its commands run on).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KILL_AFTER_MS 5000

struct job {
  pid_t pid;
  char *id;
  int out, err; /* memfds, or -1 */
  long long deadline;   /* ms on the monotonic clock; 0: none */
  int termed;           /* 1: SIGTERM sent at the deadline; 2: SIGKILL too */
  struct job *next;
};

static struct job *jobs;
static int devnull;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(1); /* the agent is gone */
    }
    p += w;
    n -= (size_t)w;
  }
}

/* slurp reads a memfd whole; *len gets its size. */
static char *slurp(int fd, size_t *len) {
  *len = 0;
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) return NULL;
  char *buf = malloc((size_t)st.st_size);
  if (!buf) return NULL;
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  *len = got;
  return buf;
}

static void answer(const char *id, int status, const char *out, size_t out_len, const char *err, size_t err_len) {
  char head[128];
  int n = snprintf(head, sizeof head, "%s %d %zu %zu\n", id, status, out_len, err_len);
  write_all(1, head, (size_t)n);
  if (out_len) write_all(1, out, out_len);
  if (err_len) write_all(1, err, err_len);
}

static void answer_error(const char *id, int status, const char *what, const char *arg, int errnum) {
  char msg[4200];
  int n = snprintf(msg, sizeof msg, "%s: %s: %s\n", what, arg, strerror(errnum));
  answer(id, status, NULL, 0, msg, n > 0 ? (size_t)(n < (int)sizeof msg ? n : (int)sizeof msg - 1) : 0);
}

static int memfd(const char *name) {
  return memfd_create(name, MFD_CLOEXEC);
}

/* mount_flags splits mount(8)'s option words into mount(2) flags and the data string (written into data). */
static unsigned long mount_flags(const char *options, char *data, size_t cap) {
  static const struct { const char *name; unsigned long flag; } words[] = {
    {"ro", MS_RDONLY}, {"rw", 0}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC},
    {"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME}, {"relatime", MS_RELATIME},
    {"strictatime", MS_STRICTATIME}, {"sync", MS_SYNCHRONOUS}, {"dirsync", MS_DIRSYNC},
  };
  unsigned long flags = 0;
  size_t used = 0;
  data[0] = '\0';
  const char *p = options;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    int known = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
      if (strlen(words[i].name) == len && strncmp(words[i].name, p, len) == 0) {
        flags |= words[i].flag;
        known = 1;
      }
    }
    if (!known && len > 0 && used + len + 2 < cap) {
      if (used) data[used++] = ',';
      memcpy(data + used, p, len);
      used += len;
      data[used] = '\0';
    }
    p += len;
    if (*p == ',') p++;
  }
  return flags;
}

/* start handles one request. argv is NULL-terminated; input has input_len bytes. */
static void start(char *id, const char *kind, long long timeout_ms, char **argv, int argc, const char *input, size_t input_len) {
  if (strcmp(kind, "mount") == 0) {
    if (argc != 4) {
      answer_error(id, 32, "mount", "usage", EINVAL);
      return;
    }
    char data[4096];
    unsigned long flags = mount_flags(argv[3], data, sizeof data);
    if (mount(argv[1], argv[2], argv[0], flags, data[0] ? data : NULL) != 0) answer_error(id, 32, "mount", argv[2], errno);
    else answer(id, 0, NULL, 0, NULL, 0);
    return;
  }
  if (strcmp(kind, "umount") == 0) {
    int lazy = argc == 2 && strcmp(argv[1], "-l") == 0;
    if (argc < 1 || umount2(argv[0], lazy ? MNT_DETACH : 0) != 0) answer_error(id, 32, "umount", argc > 0 ? argv[0] : "", argc > 0 ? errno : EINVAL);
    else answer(id, 0, NULL, 0, NULL, 0);
    return;
  }
  int capture = strcmp(kind, "run") == 0;
  if (!capture && strcmp(kind, "detach") != 0) {
    answer_error(id, 127, "request", kind, EINVAL);
    return;
  }
  if (argc < 1) {
    answer_error(id, 127, "request", "argv", EINVAL);
    return;
  }
  int in = devnull, out = -1, err = -1;
  if (input_len > 0) {
    in = memfd("stdin");
    if (in < 0 || (size_t)write(in, input, input_len) != input_len || lseek(in, 0, SEEK_SET) != 0) {
      int e = errno;
      if (in >= 0) close(in);
      answer_error(id, 127, argv[0], "stdin", e);
      return;
    }
  }
  if (capture) {
    out = memfd("stdout");
    err = memfd("stderr");
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, out >= 0 ? out : devnull, 1);
  posix_spawn_file_actions_adddup2(&fa, err >= 0 ? err : devnull, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  /* Nothing else the agent's process happened to inherit goes on to commands, nor to the shims that outlive it. */
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  /* A command with a timeout gets a process group of its own, signalled whole at the deadline (as `timeout` does). */
  if (timeout_ms > 0) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (in != devnull) close(in);
  if (rc != 0) {
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    answer_error(id, 127, "tkube-command-helper", argv[0], rc);
    return;
  }
  struct job *j = calloc(1, sizeof *j);
  if (!j) _exit(1);
  j->pid = pid;
  j->id = strdup(id);
  j->out = out;
  j->err = err;
  j->deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
  j->next = jobs;
  jobs = j;
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (struct job **pp = &jobs; *pp; pp = &(*pp)->next) {
      struct job *j = *pp;
      if (j->pid != pid) continue;
      *pp = j->next;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
      if (j->termed == 1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) code = 124;
      size_t out_len, err_len;
      char *out = slurp(j->out, &out_len);
      char *err = slurp(j->err, &err_len);
      answer(j->id, code, out, out_len, err, err_len);
      free(out);
      free(err);
      if (j->out >= 0) close(j->out);
      if (j->err >= 0) close(j->err);
      free(j->id);
      free(j);
      break;
    }
  }
}

/* expire signals the commands past their deadline and returns the poll timeout until the next one (-1: none). */
static int expire(void) {
  long long now = now_ms(), next = -1;
  for (struct job *j = jobs; j; j = j->next) {
    if (!j->deadline) continue;
    if (j->termed == 0 && now >= j->deadline) {
      kill(-j->pid, SIGTERM);
      j->termed = 1;
    }
    if (j->termed == 1 && now >= j->deadline + KILL_AFTER_MS) {
      kill(-j->pid, SIGKILL);
      j->termed = 2;
    }
    long long at = j->termed == 0 ? j->deadline : j->termed == 1 ? j->deadline + KILL_AFTER_MS : -1;
    if (at >= 0 && (next < 0 || at < next)) next = at;
  }
  if (next < 0) return -1;
  return next > now ? (int)(next - now) : 0;
}

/* field finds the NUL-terminated field at *pos in buf[0..len); NULL when it is not all there yet. */
static char *field(char *buf, size_t len, size_t *pos) {
  char *start = buf + *pos;
  char *nul = memchr(start, '\0', len - *pos);
  if (!nul) return NULL;
  *pos = (size_t)(nul - buf) + 1;
  return start;
}

/* parse handles every whole request at the front of buf and returns how many bytes they took. */
static size_t parse(char *buf, size_t len) {
  size_t done = 0;
  for (;;) {
    size_t pos = done;
    char *id = field(buf, len, &pos), *kind = id ? field(buf, len, &pos) : NULL;
    char *timeout = kind ? field(buf, len, &pos) : NULL, *ilen = timeout ? field(buf, len, &pos) : NULL;
    char *sargc = ilen ? field(buf, len, &pos) : NULL;
    if (!sargc) return done;
    long argc = strtol(sargc, NULL, 10);
    if (argc < 0 || argc > 65536) _exit(2); /* not our protocol */
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    if (!argv) _exit(1);
    long i;
    for (i = 0; i < argc; i++) {
      argv[i] = field(buf, len, &pos);
      if (!argv[i]) break;
    }
    size_t input_len = (size_t)strtoull(ilen, NULL, 10);
    if (i < argc || len - pos < input_len) {
      free(argv);
      return done;
    }
    start(id, kind, strtoll(timeout, NULL, 10), argv, (int)argc, buf + pos, input_len);
    free(argv);
    done = pos + input_len;
  }
}

int main(void) {
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) return 1;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 1;
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);
  if (!buf) return 1;
  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    int n = poll(fds, 2, expire());
    if (n < 0 && errno != EINTR) return 1;
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (cap - len < 4096) {
        cap *= 2;
        buf = realloc(buf, cap);
        if (!buf) return 1;
      }
      ssize_t r = read(0, buf + len, cap - len);
      if (r == 0) return 0; /* the agent closed its end, or is gone: commands under way run on */
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return 1;
      }
      len += (size_t)r;
      size_t used = parse(buf, len);
      memmove(buf, buf + used, len - used);
      len -= used;
    }
  }
}
