/*
 * tkube-shim: the per-container supervisor of the runc runtime (what containerd-shim and conmon are).
 *
 *   tkube-shim [-d] [-o <oom-control>] [-i] [-I] [-a <attach-name>] [-m <rootfs> <overlay-options>] [-t <console-socket> -p <pid-file>] <log-path> <status-path> <program> [args...]
 *   tkube-shim -x <console-socket> <pid-file> <program> [args...]
 *
 * Container mode (the first form) runs <program> (`runc run ...`), appends every output line to <log-path> in the
 * CRI log format (`<RFC 3339 nano> stdout|stderr F|P <text>`, lines over 16 KiB split into P parts), and when the
 * container ends writes `<exit code> <finished unix nanoseconds>` to <status-path> (through a temp file and rename,
 * so readers never see half of it). A signal death is reported as 128 + the signal number, as shells do. It is
 * started detached (its own session) so it outlives the agent: with -d it detaches itself (forks, the parent
 * exits 0 at once, the child makes a session of its own), which is what `setsid -f` did for it at the cost of two
 * more processes per container start (setsid and env).
 *   - Without -t the program runs in the foreground with its stdout and stderr on pipes; its stdin is /dev/null,
 *     or with -i a pipe the shim keeps open for attach clients.
 *   - With -t the container has a terminal: the program must be `runc run -d --console-socket <console-socket>
 *     --pid-file <pid-file> ...`. (runc in the foreground insists on a terminal of its own; detached, it hands the
 *     terminal's master end over the console socket instead.) The shim listens on <console-socket>, receives the
 *     master (SCM_RIGHTS), becomes the container's reaper (PR_SET_CHILD_SUBREAPER: the detached init is
 *     re-parented to it when runc exits) and logs the terminal's output as stdout.
 *   - With -a the shim listens on the abstract unix socket <attach-name> for attach clients. Both directions carry
 *     frames of 1 type byte, a 4-byte big-endian length and the data: shim to client 1 stdout and 2 stderr; client
 *     to shim 0 stdin, 4 resize (`<width> <height>`) and 255 end of stdin. With -I (stdinOnce) the container's stdin
 *     is closed when the first client that wrote to it leaves or ends its stdin.
 *
 *   - With -m the shim first mounts an overlay with <overlay-options> (`lowerdir=...,upperdir=...,workdir=...`) on
 *     <rootfs>, the container's root: a mount(2) here instead of a mount(8) process the agent would spawn for
 *     each container. A failed mount is logged as the container's stderr and ends it with 125 before runc runs.
 *   - With -p but no -t (the runc runtime always does this) the program must be `runc run -d --pid-file <pid-file>
 *     ...`: detached, runc leaves the container's cgroup in place until `runc delete`, so at the init's death the
 *     shim (its subreaper) can still read the cgroup's OOM-kill counter. With -o naming a
 *     `memory.oom_control` file whose `oom_kill` is above zero, the status line gets a third word, `oom` (the kernel
 *     killed the container for its memory limit).
 *
 * Exec mode (-x) is a terminal exec: the program must be `runc exec -d -t --console-socket <console-socket>
 * --pid-file <pid-file> ...`. The shim relays its stdin to the terminal and the terminal to its stdout, reads
 * resize requests (`<width> <height>\n`) from fd 3, and exits with the exec'd process's exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
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
static const char *log_file;
static time_t log_checked;

/* reopen_log_if_rotated reopens the log path when the kubelet renamed the file away (rotation): at most once a
 * second it compares the path's inode with the open file's, and a missing or different file is (re)created. */
static void reopen_log_if_rotated(time_t now) {
  if (now == log_checked || !log_file) return;
  log_checked = now;
  struct stat path_st, fd_st;
  if (stat(log_file, &path_st) == 0 && fstat(log_fd, &fd_st) == 0 && path_st.st_ino == fd_st.st_ino && path_st.st_dev == fd_st.st_dev) return;
  int fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return; /* keep writing to the old file rather than lose output */
  close(log_fd);
  log_fd = fd;
}

/* broadcast sends output to the attach clients (container mode). */
static void broadcast(int type, const char *data, size_t len);

static void emit(const char *name, const char *tag, const char *text, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  reopen_log_if_rotated(ts.tv_sec);
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
  broadcast(strcmp(s->name, "stdout") == 0 ? 1 : 2, s->buf + s->len, (size_t)r);
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

/* ---- unix sockets, fd passing, frames ---- */

/* listen_unix listens on a unix socket: a path, or with `abstract` a name in the abstract namespace. */
static int listen_unix(const char *name, int abstract) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  size_t n = strlen(name);
  if (n + 2 > sizeof a.sun_path) return -1;
  socklen_t len;
  if (abstract) {
    memcpy(a.sun_path + 1, name, n);
    /* The whole zero-padded sun_path is the name, which is what Node (libuv) connects to for a "\0name" path. */
    len = (socklen_t)sizeof a;
  } else {
    memcpy(a.sun_path, name, n);
    unlink(name);
    len = (socklen_t)sizeof a;
  }
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  if (bind(s, (struct sockaddr *)&a, len) < 0 || listen(s, 16) < 0) {
    close(s);
    return -1;
  }
  return s;
}

/* recv_fd receives one file descriptor (runc sends the terminal's master end this way). */
static int recv_fd(int sock) {
  char buf[512];
  struct iovec iov = {buf, sizeof buf};
  union {
    struct cmsghdr h;
    char c[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.c;
  msg.msg_controllen = sizeof u.c;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/*
 * trusted_peer admits only root processes of the host's mount namespace. Abstract sockets have no file
 * permissions and are shared by everything in the network namespace, hostNetwork pods included; a container
 * always has a mount namespace of its own, so this keeps every container away from the others' stdin, and
 * keeps other users from posing as runc on a console socket.
 */
static int trusted_peer(int conn) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0 || cred.pid <= 0) return 0;
  char path[64], mine[128], theirs[128];
  ssize_t a = readlink("/proc/self/ns/mnt", mine, sizeof mine - 1);
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)cred.pid);
  ssize_t b = readlink(path, theirs, sizeof theirs - 1);
  if (a <= 0 || b <= 0) return 0;
  mine[a] = 0;
  theirs[b] = 0;
  return strcmp(mine, theirs) == 0;
}

/* accept_console waits for runc on the console socket and returns the master end (-1 if runc ended first). */
static int accept_console(int listener, pid_t runc_pid, int *runc_status, int *runc_done) {
  for (;;) {
    struct pollfd p = {listener, POLLIN, 0};
    int r = poll(&p, 1, 100);
    if (r > 0) {
      int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) continue;
      if (!trusted_peer(conn)) {
        close(conn);
        continue;
      }
      int fd = recv_fd(conn);
      close(conn);
      if (fd >= 0) return fd;
    }
    if (!*runc_done) {
      int st;
      if (waitpid(runc_pid, &st, WNOHANG) == runc_pid) {
        *runc_done = 1;
        *runc_status = st;
        /* runc may have sent the fd just before it exited: look once more. */
        continue;
      }
    } else {
      return -1;
    }
  }
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255; }

static void write_all(int fd, const char *data, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, 1000);
      continue;
    }
    if (w <= 0) return;
    off += (size_t)w;
  }
}

static void set_size(int master, const char *text) {
  unsigned w = 0, h = 0;
  if (master < 0 || sscanf(text, "%u %u", &w, &h) != 2) return;
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_col = (unsigned short)w;
  ws.ws_row = (unsigned short)h;
  ioctl(master, TIOCSWINSZ, &ws);
}

/* Reaped children, kept until the pid file names the one that matters. */
static pid_t reaped_pid[64];
static int reaped_status[64];
static int reaped_n = 0;

static void reap(void) {
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    if (reaped_n < 64) {
      reaped_pid[reaped_n] = p;
      reaped_status[reaped_n++] = st;
    }
  }
}

static int find_reaped(pid_t pid, int *status) {
  for (int i = 0; i < reaped_n; i++) {
    if (reaped_pid[i] == pid) {
      *status = reaped_status[i];
      return 1;
    }
  }
  return 0;
}

static pid_t read_pid_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long pid = -1;
  if (fscanf(f, "%ld", &pid) != 1) pid = -1;
  fclose(f);
  return (pid_t)pid;
}

static pid_t start_program(char **argv, int stdin_fd, int stdout_fd, int stderr_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  dup2(stdin_fd, 0);
  dup2(stdout_fd, 1);
  dup2(stderr_fd, 2);
  execvp(argv[0], argv);
  dprintf(2, "tkube-shim: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/*
 * wait_target follows a detached runc: once runc has exited 0, the pid file names the process that matters and
 * (as its subreaper) this process reaps it. Returns 1 with *code set when the outcome is known.
 */
static int wait_target(pid_t runc_pid, const char *pid_file, int *code) {
  reap();
  int st;
  if (!find_reaped(runc_pid, &st)) return 0;
  if (exit_code(st) != 0) {
    *code = exit_code(st);
    return 1;
  }
  pid_t target = read_pid_file(pid_file);
  if (target <= 0) {
    *code = 255;
    return 1;
  }
  if (find_reaped(target, &st)) {
    *code = exit_code(st);
    return 1;
  }
  /* Not ours to reap (no subreaper support): poll for it. */
  if (kill(target, 0) < 0 && errno == ESRCH) {
    *code = 255;
    return 1;
  }
  return 0;
}

/* ---- exec mode: a terminal exec relayed over stdio, resize on fd 3 ---- */

static int exec_tty(const char *console, const char *pid_file, char **argv) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int listener = listen_unix(console, 0);
  if (listener < 0) {
    dprintf(2, "tkube-shim: cannot listen on %s: %s\n", console, strerror(errno));
    return 125;
  }
  int devnull = open("/dev/null", O_RDWR);
  pid_t runc_pid = start_program(argv, devnull, 2, 2);
  if (runc_pid < 0) return 125;
  int runc_done = 0, runc_status = 0;
  int master = accept_console(listener, runc_pid, &runc_status, &runc_done);
  close(listener);
  unlink(console);
  if (runc_done) {
    reaped_pid[reaped_n] = runc_pid;
    reaped_status[reaped_n++] = runc_status;
  }
  if (master < 0) {
    int code = 0;
    while (!wait_target(runc_pid, pid_file, &code)) usleep(20000);
    return code == 0 ? 255 : code;
  }
  int stdin_open = 1, resize_open = fcntl(3, F_GETFD) >= 0, master_open = 1, code = 0, done = 0;
  char buf[32768], rbuf[256];
  size_t rlen = 0;
  while (master_open) {
    struct pollfd p[3];
    int n = 0, im = -1, ii = -1, ir = -1;
    p[n].fd = master, p[n].events = POLLIN, p[n].revents = 0, im = n++;
    if (stdin_open) p[n].fd = 0, p[n].events = POLLIN, p[n].revents = 0, ii = n++;
    if (resize_open) p[n].fd = 3, p[n].events = POLLIN, p[n].revents = 0, ir = n++;
    int r = poll(p, (nfds_t)n, done ? 100 : 200);
    if (r < 0 && errno != EINTR) break;
    if (r == 0 && done) break; /* the process ended and the terminal is quiet: background holders do not keep us */
    if (im >= 0 && (p[im].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(master, buf, sizeof buf);
      if (got <= 0 && !(got < 0 && (errno == EINTR || errno == EAGAIN))) master_open = 0;
      else if (got > 0) write_all(1, buf, (size_t)got);
    }
    if (ii >= 0 && (p[ii].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(0, buf, sizeof buf);
      if (got <= 0 && !(got < 0 && errno == EINTR)) stdin_open = 0; /* a terminal is not closed: the client just stopped typing */
      else if (got > 0) write_all(master, buf, (size_t)got);
    }
    if (ir >= 0 && (p[ir].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(3, rbuf + rlen, sizeof rbuf - rlen - 1);
      if (got <= 0) resize_open = 0;
      else {
        rlen += (size_t)got;
        rbuf[rlen] = 0;
        char *nl;
        while ((nl = strchr(rbuf, '\n')) != NULL) {
          *nl = 0;
          set_size(master, rbuf);
          size_t rest = rlen - (size_t)(nl + 1 - rbuf);
          memmove(rbuf, nl + 1, rest);
          rlen = rest;
          rbuf[rlen] = 0;
        }
        if (rlen == sizeof rbuf - 1) rlen = 0;
      }
    }
    if (!done) done = wait_target(runc_pid, pid_file, &code);
  }
  while (!done) {
    done = wait_target(runc_pid, pid_file, &code);
    if (!done) usleep(20000);
  }
  return code;
}

/* ---- container mode ---- */


#define MAX_CLIENTS 16

struct client {
  int fd;
  unsigned char hdr[5];
  size_t hdr_len;
  char *data;
  size_t data_len, data_want;
  int wrote_stdin;
};

static struct client clients[MAX_CLIENTS];
static int attach_listener = -1;

static void broadcast(int type, const char *data, size_t len) {
  if (len == 0) return;
  unsigned char hdr[5] = {(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].fd < 0) continue;
    /* A client that cannot keep up is dropped rather than stalling the container's output. */
    struct iovec iov[2] = {{hdr, 5}, {(void *)data, len}};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    ssize_t w = sendmsg(clients[i].fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w != (ssize_t)(len + 5)) {
      close(clients[i].fd);
      clients[i].fd = -1;
      free(clients[i].data);
      clients[i].data = NULL;
    }
  }
}

static int stdin_w = -1;
static int stdin_once = 0;
static int master_fd = -1;

static void close_stdin(void) {
  if (stdin_w >= 0) close(stdin_w);
  stdin_w = -1;
}

static void client_gone(int i) {
  if (stdin_once && clients[i].wrote_stdin && master_fd < 0) close_stdin();
  close(clients[i].fd);
  clients[i].fd = -1;
  free(clients[i].data);
  clients[i].data = NULL;
  clients[i].hdr_len = 0;
}

static void client_frame(int i, int type, const char *data, size_t len) {
  if (type == 0) {
    int target = master_fd >= 0 ? master_fd : stdin_w;
    if (target >= 0) write_all(target, data, len);
    clients[i].wrote_stdin = 1;
  } else if (type == 4) {
    char t[64];
    size_t n = len < sizeof t - 1 ? len : sizeof t - 1;
    memcpy(t, data, n);
    t[n] = 0;
    set_size(master_fd, t);
  } else if (type == 255) {
    clients[i].wrote_stdin = 1;
    if (stdin_once && master_fd < 0) close_stdin();
  }
}

static void client_read(int i) {
  char buf[16384];
  ssize_t r = read(clients[i].fd, buf, sizeof buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {
    client_gone(i);
    return;
  }
  size_t off = 0;
  while (off < (size_t)r) {
    struct client *c = &clients[i];
    if (c->hdr_len < 5) {
      c->hdr[c->hdr_len++] = (unsigned char)buf[off++];
      if (c->hdr_len == 5) {
        c->data_want = ((size_t)c->hdr[1] << 24) | ((size_t)c->hdr[2] << 16) | ((size_t)c->hdr[3] << 8) | c->hdr[4];
        if (c->data_want > (1u << 20)) {
          client_gone(i);
          return;
        }
        c->data = malloc(c->data_want + 1);
        c->data_len = 0;
        if (!c->data) {
          client_gone(i);
          return;
        }
      }
    } else {
      size_t take = c->data_want - c->data_len;
      if (take > (size_t)r - off) take = (size_t)r - off;
      memcpy(c->data + c->data_len, buf + off, take);
      off += take;
      c->data_len += take;
    }
    if (c->hdr_len == 5 && c->data_len == c->data_want) {
      client_frame(i, c->hdr[0], c->data, c->data_len);
      free(c->data);
      c->data = NULL;
      c->hdr_len = 0;
    }
  }
}

/* The cgroup v1 memory.oom_control file named by -o, if any. */
static const char *oom_control = NULL;

/* oom_killed reads the cgroup's OOM-kill counter in oom_control. */
static int oom_killed(void) {
  if (!oom_control) return 0;
  FILE *f = fopen(oom_control, "r");
  if (!f) return 0;
  char line[256];
  int oom = 0;
  while (fgets(line, sizeof line, f)) {
    long n = 0;
    if (sscanf(line, "oom_kill %ld", &n) == 1 && n > 0) oom = 1;
  }
  fclose(f);
  return oom;
}

static void write_status(const char *status_path, int code, int oom) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", status_path);
  FILE *f = fopen(tmp, "w");
  if (f) {
    fprintf(f, "%d %lld%09ld%s\n", code, (long long)ts.tv_sec, ts.tv_nsec, oom ? " oom" : "");
    fclose(f);
    rename(tmp, status_path);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: tkube-shim [-i] [-I] [-a <attach-name>] [-m <rootfs> <overlay-options>] [-t <console-socket> -p <pid-file>] <log-path> <status-path> <program> [args...]\n"
                  "       tkube-shim -x <console-socket> <pid-file> <program> [args...]\n");
  return 2;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && strcmp(argv[1], "-x") == 0) {
    if (argc < 5) return usage();
    return exec_tty(argv[2], argv[3], argv + 4);
  }
  const char *attach = NULL, *console = NULL, *pid_file = NULL, *rootfs = NULL, *overlay = NULL;
  int want_stdin = 0, detach = 0, ai = 1;
  while (ai < argc && argv[ai][0] == '-') {
    if (strcmp(argv[ai], "-d") == 0) detach = 1, ai++;
    else if (strcmp(argv[ai], "-o") == 0 && ai + 1 < argc) oom_control = argv[ai + 1], ai += 2;
    else if (strcmp(argv[ai], "-i") == 0) want_stdin = 1, ai++;
    else if (strcmp(argv[ai], "-I") == 0) stdin_once = 1, ai++;
    else if (strcmp(argv[ai], "-a") == 0 && ai + 1 < argc) attach = argv[ai + 1], ai += 2;
    else if (strcmp(argv[ai], "-t") == 0 && ai + 1 < argc) console = argv[ai + 1], ai += 2;
    else if (strcmp(argv[ai], "-p") == 0 && ai + 1 < argc) pid_file = argv[ai + 1], ai += 2;
    else if (strcmp(argv[ai], "-m") == 0 && ai + 2 < argc) rootfs = argv[ai + 1], overlay = argv[ai + 2], ai += 3;
    else return usage();
  }
  if (argc - ai < 3 || (console && !pid_file)) return usage();
  if (detach) {
    /* As `setsid -f`: the caller learns only that the shim started; what fails later is in the status file. */
    pid_t d = fork();
    if (d < 0) {
      perror("tkube-shim: cannot detach");
      return 2;
    }
    if (d > 0) _exit(0);
    setsid();
  }
  const char *log_path = argv[ai], *status_path = argv[ai + 1];
  char **prog = argv + ai + 2;
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  log_file = log_path;
  log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    perror("tkube-shim: cannot open the log");
    return 2;
  }
  if (rootfs && mount("overlay", rootfs, "overlay", 0, overlay) < 0) {
    char msg[4352];
    int n = snprintf(msg, sizeof msg, "tkube-shim: cannot mount the container's root filesystem on %s: %s", rootfs, strerror(errno));
    emit("stderr", "F", msg, n > 0 && (size_t)n < sizeof msg ? (size_t)n : strlen(msg));
    write_status(status_path, 125, 0);
    return 0;
  }
  if (attach) {
    attach_listener = listen_unix(attach, 1);
    if (attach_listener < 0) dprintf(2, "tkube-shim: cannot listen for attach on @%s: %s\n", attach, strerror(errno));
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int out[2], err[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) return 2;
  if (want_stdin && !console) {
    if (pipe2(in, O_CLOEXEC) < 0) return 2;
    stdin_w = in[1];
  }
  pid_t pid;
  int runc_done = 0, runc_status = 0;
  struct stream s[2] = {{out[0], "stdout", {0}, 0}, {err[0], "stderr", {0}, 0}};
  if (console) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int listener = listen_unix(console, 0);
    if (listener < 0) {
      dprintf(2, "tkube-shim: cannot listen on %s: %s\n", console, strerror(errno));
      write_status(status_path, 125, 0);
      return 0;
    }
    /* runc's own messages (a failed start) are the container's stderr; the terminal is its stdout. */
    pid = start_program(prog, devnull, err[1], err[1]);
    close(out[1]);
    close(out[0]);
    close(err[1]);
    master_fd = accept_console(listener, pid, &runc_status, &runc_done);
    close(listener);
    unlink(console);
    if (runc_done) {
      reaped_pid[reaped_n] = pid;
      reaped_status[reaped_n++] = runc_status;
    }
    s[0].fd = master_fd;
  } else {
    if (pid_file) prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid = start_program(prog, in[0] >= 0 ? in[0] : devnull, out[1], err[1]);
    if (in[0] >= 0) close(in[0]);
    close(out[1]);
    close(err[1]);
  }
  if (pid < 0) return 2;
  if (stdin_w >= 0) fcntl(stdin_w, F_SETFL, O_NONBLOCK);
  int open_streams = (s[0].fd >= 0) + (s[1].fd >= 0);
  while (open_streams > 0) {
    struct pollfd p[3 + MAX_CLIENTS];
    int n = 0, idx[3 + MAX_CLIENTS];
    for (int i = 0; i < 2; i++) {
      if (s[i].fd >= 0) p[n].fd = s[i].fd, p[n].events = POLLIN, p[n].revents = 0, idx[n++] = i;
    }
    if (attach_listener >= 0) p[n].fd = attach_listener, p[n].events = POLLIN, p[n].revents = 0, idx[n++] = 100;
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].fd >= 0) p[n].fd = clients[i].fd, p[n].events = POLLIN, p[n].revents = 0, idx[n++] = 200 + i;
    }
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; k++) {
      if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (idx[k] < 2) {
        struct stream *st = &s[idx[k]];
        if (!pump(st)) {
          close(st->fd);
          st->fd = -1;
          open_streams--;
        }
      } else if (idx[k] == 100) {
        int conn = accept4(attach_listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (conn < 0) continue;
        if (!trusted_peer(conn)) {
          close(conn);
          continue;
        }
        int slot = -1;
        for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
          if (clients[i].fd < 0) slot = i;
        if (slot < 0) {
          close(conn);
          continue;
        }
        int size = 1 << 20;
        setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        memset(&clients[slot], 0, sizeof clients[slot]);
        clients[slot].fd = conn;
      } else if (clients[idx[k] - 200].fd == p[k].fd) {
        client_read(idx[k] - 200);
      }
    }
  }
  int code;
  if (console || pid_file) {
    master_fd = -1;
    code = 0;
    while (!wait_target(pid, pid_file, &code)) usleep(20000);
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    code = exit_code(status);
  }
  close_stdin();
  /* Attach clients see the end of the output as the end of the connection. */
  if (attach_listener >= 0) close(attach_listener);
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].fd >= 0) close(clients[i].fd);
  write_status(status_path, code, oom_killed());
  return 0;
}
