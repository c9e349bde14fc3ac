// The kernel's floor for fanout on this machine: what it costs to push one small message to each
// of C loopback TCP connections, R times a second, with nothing else in the way (no WebSocket
// library, no JSON, no database, no JVM). A parent process writes, a child process reads with
// epoll; each reports its own CPU time from getrusage, so the writer's CPU per million
// deliveries is the least any server on this machine can spend, and the latency from the
// writer's clock to the reader's (CLOCK_MONOTONIC, one clock for both processes) is the least any
// server can achieve. See bench/README.md, "The floor".
//
//   gcc -O2 -o /tmp/floor bench/floor/floor.c && /tmp/floor 1000 20 10 256
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

// Reader: C connections, one epoll loop, fixed-size messages whose first 8 bytes are the send time.
static void reader(int port, int clients, long expected, int size) {
  int ep = epoll_create1(0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int *have = calloc(clients, sizeof(int));
  char **partial = calloc(clients, sizeof(char *));
  for (int i = 0; i < clients; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = ((uint64_t)i << 32) | (uint32_t)fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    partial[i] = malloc(size);
  }
  int64_t *lat = malloc(sizeof(int64_t) * expected);
  long got = 0;
  struct epoll_event ev[256];
  char buf[65536];
  double cpu0 = -1;
  while (got < expected) {
    int n = epoll_wait(ep, ev, 256, 5000);
    if (n == 0) break;
    for (int k = 0; k < n; k++) {
      int i = (int)(ev[k].data.u64 >> 32), fd = (int)(uint32_t)ev[k].data.u64;
      ssize_t r = read(fd, buf, sizeof buf);
      int64_t t = now_ns();
      if (cpu0 < 0) cpu0 = cpu_seconds();
      for (ssize_t off = 0; off < r;) {
        int take = size - have[i] < r - off ? size - have[i] : (int)(r - off);
        memcpy(partial[i] + have[i], buf + off, take);
        have[i] += take;
        off += take;
        if (have[i] == size) {
          int64_t sent;
          memcpy(&sent, partial[i], 8);
          if (got < expected) lat[got++] = t - sent;
          have[i] = 0;
        }
      }
    }
  }
  double cpu = cpu_seconds() - cpu0;
  if (got == 0) {
    printf("reader: received nothing in 5 s\n");
    return;
  }
  qsort(lat, got, sizeof(int64_t), cmp_i64);
  printf("reader: received %ld/%ld, latency ms p50 %.3f p90 %.3f p99 %.3f max %.3f, "
         "reader CPU %.2f s = %.2f s per million\n",
         got, expected, lat[got / 2] / 1e6, lat[got * 9 / 10] / 1e6, lat[got * 99 / 100] / 1e6,
         lat[got - 1] / 1e6, cpu, cpu / got * 1e6);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: floor CLIENTS RATE SECONDS BYTES\n");
    return 2;
  }
  int clients = atoi(argv[1]), rate = atoi(argv[2]), seconds = atoi(argv[3]);
  int size = atoi(argv[4]);
  if (clients < 1 || rate < 1 || seconds < 1 || size < 8 || size > 65536) {
    fprintf(stderr, "floor: CLIENTS, RATE and SECONDS must be at least 1, BYTES 8 to 65536\n");
    return 2;
  }
  int rounds = rate * seconds;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0) die("listen");
  socklen_t len = sizeof a;
  getsockname(ls, (struct sockaddr *)&a, &len);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    reader(ntohs(a.sin_port), clients, (long)clients * rounds, size);
    return 0;
  }
  int *fds = malloc(sizeof(int) * clients);
  int one = 1;
  for (int i = 0; i < clients; i++) {
    fds[i] = accept(ls, NULL, NULL);
    if (fds[i] < 0) die("accept");
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  usleep(200000);
  char *msg = calloc(1, size);
  memset(msg + 8, 'x', size - 8);
  int64_t period = 1000000000LL / rate, next = now_ns();
  double cpu0 = cpu_seconds();
  for (int r = 0; r < rounds; r++) {
    int64_t t = now_ns();
    memcpy(msg, &t, 8);
    for (int i = 0; i < clients; i++) {
      if (write(fds[i], msg, size) != size) die("write");
    }
    next += period;
    int64_t wait = next - now_ns();
    if (wait > 0) {
      struct timespec s = {wait / 1000000000LL, wait % 1000000000LL};
      nanosleep(&s, NULL);
    }
  }
  double cpu = cpu_seconds() - cpu0;
  long deliveries = (long)clients * rounds;
  printf("writer: %d clients x %d rounds of %d bytes, writer CPU %.2f s = %.2f s per million "
         "deliveries\n",
         clients, rounds, size, cpu, cpu / deliveries * 1e6);
  fflush(stdout);
  waitpid(child, NULL, 0);
  return 0;
}
